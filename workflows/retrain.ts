/**
 * retrain.yml: retrain by hand with overrides (mlops-retrain.yml). Fresh data
 * arrives as the "Data refresh" pull request (data-refresh.yml), not on a
 * schedule here. A retrain never becomes production.
 */
import { mlopsRetrain, OVERRIDE_INPUTS } from './mlops-retrain.js';
import { call, OWN_PIPELINE } from './steps.js';
import type { Workflow } from './types.js';

export const retrain: Workflow = {
  name: 'retrain',
  on: {
    workflow_dispatch: {
      inputs: {
        ...OVERRIDE_INPUTS,
        reason: {
          description: 'Why this retrain (shown in the summary)',
          type: 'string',
          required: true,
        },
        'open-pr': {
          description:
            'Once the retrain passes its gates, propose the overrides in mlops.yaml as the pull request "Retrain: <reason>"',
          type: 'boolean',
          required: false,
          default: false,
        },
      },
    },
  },
  permissions: {},
  concurrency: { group: 'retrain', 'cancel-in-progress': false },
  jobs: {
    retrain: call('mlops-retrain.yml', mlopsRetrain, {
      with: {
        ...OWN_PIPELINE,
        epochs: '${{ inputs.epochs }}',
        'learning-rate': '${{ inputs.learning-rate }}',
        reason: '${{ inputs.reason }}',
        'open-pr': '${{ inputs.open-pr }}',
      },
      secrets: {
        MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}',
        GCP_SA_KEY: '${{ secrets.GCP_SA_KEY }}',
        MLOPS_PR_TOKEN: '${{ secrets.MLOPS_PR_TOKEN }}',
      },
    }),
  },
};
