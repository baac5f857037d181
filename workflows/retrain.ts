/**
 * retrain.yml: retrain by hand with overrides, or every week on fresh data;
 * gates, registers the model (an artifact named by its version) and writes the
 * report to the job summary.
 */
import { action, checkout, upload } from './steps.js';
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
  permissions: { contents: 'read' },
  concurrency: { group: 'retrain', 'cancel-in-progress': false },
  jobs: {
    retrain: {
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
            set: "${{ inputs.epochs && format('model.epochs={0}', inputs.epochs) || '' }}\n${{ inputs.learning-rate && format('model.learning_rate={0}', inputs.learning-rate) || '' }}",
          },
        }),
        upload('model-${{ steps.train.outputs.model-version }}', ['artifacts/model/', 'reports/'], {
          name: 'Keep the model as an artifact',
        }),
      ],
    },
  },
};
