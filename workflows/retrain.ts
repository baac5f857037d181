/**
 * retrain.yml: retrain by hand with overrides, or every week on fresh data;
 * gates the model, keeps it as an artifact named by its version (7 days) and
 * writes the report to the job summary. It neither registers the model nor
 * touches the production baseline: a model becomes the baseline only by being
 * deployed (deploy.yml).
 */
import { action, checkout, job, upload } from './steps.js';
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
    retrain: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 30,
      steps: [
        checkout,
        {
          name: 'Reason',
          env: { REASON: "${{ inputs.reason || 'weekly schedule' }}" },
          run: 'echo "### Retrain: ${REASON}" >> "$GITHUB_STEP_SUMMARY"',
        },
        action('train', {
          id: 'train',
          with: {
            // Empty inputs leave mlops.yaml as it is; the train action skips blank lines.
            set: "${{ inputs.epochs && format('model.epochs={0}', inputs.epochs) || '' }}\n${{ inputs.learning-rate && format('model.learning_rate={0}', inputs.learning-rate) || '' }}",
            force: true,
          },
        }),
        action('validate-threshold', {
          with: {
            // A model nobody deployed is never what pull requests compare with.
            'save-baseline': false,
            set: "${{ inputs.epochs && format('model.epochs={0}', inputs.epochs) || '' }}\n${{ inputs.learning-rate && format('model.learning_rate={0}', inputs.learning-rate) || '' }}",
          },
        }),
        upload('model-${{ steps.train.outputs.model-version }}', ['artifacts/model/', 'reports/'], {
          name: 'Keep the model as an artifact',
        }),
      ],
    }),
  },
};
