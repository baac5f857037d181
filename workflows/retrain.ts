/**
 * retrain.yml: retrain by hand with overrides, or every week on fresh data
 * (mlops-retrain.yml). A retrain never becomes production.
 */
import { mlopsRetrain } from './mlops-retrain.js';
import { call, OWN_PIPELINE } from './steps.js';
import type { Workflow } from './types.js';

export const retrain: Workflow = {
  name: 'retrain',
  on: {
    workflow_dispatch: {
      inputs: {
        epochs: {
          description: 'model.epochs override (empty: as in mlops.yaml)',
          type: 'string',
          required: false,
          default: '',
        },
        'learning-rate': {
          description: 'model.learning_rate override (empty: as in mlops.yaml)',
          type: 'string',
          required: false,
          default: '',
        },
        reason: {
          description: 'Why this retrain (shown in the summary)',
          type: 'string',
          required: true,
        },
      },
    },
    schedule: [{ cron: '17 4 * * 1' }],
  },
  permissions: {},
  concurrency: { group: 'retrain', 'cancel-in-progress': false },
  jobs: {
    retrain: call('mlops-retrain.yml', mlopsRetrain, {
      with: {
        ...OWN_PIPELINE,
        // On the schedule there are no inputs: they are empty and mlops.yaml is used as it is.
        epochs: '${{ inputs.epochs }}',
        'learning-rate': '${{ inputs.learning-rate }}',
        reason: '${{ inputs.reason }}',
      },
      secrets: {
        MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}',
        GCP_SA_KEY: '${{ secrets.GCP_SA_KEY }}',
      },
    }),
  },
};
