/**
 * mlops-retrain.yml: retrain with optional overrides, gate the model against
 * production, keep it as an artifact named by its version (7 days) and write
 * the report to the job summary. With a registry (the MLOPS_REGISTRY secret) it
 * registers the model, and only registers it: a model becomes production only
 * by being deployed (mlops-deploy.yml), so it is never promoted here and never
 * becomes what pull requests compare with.
 */
import { KEY_ENV, REGISTRY_ENV, REGISTRY_SECRETS, WITH_REGISTRY } from './registry.js';
import {
  action,
  checkout,
  installPipeline,
  job,
  MLOPS_CLI,
  PIPELINE_INPUTS,
  pipelineCheckout,
  setupPipelineNode,
  upload,
} from './steps.js';
import type { ReusableWorkflow } from './types.js';

/** Empty inputs leave mlops.yaml as it is; the actions skip blank lines. */
const OVERRIDES =
  "${{ inputs.epochs && format('model.epochs={0}', inputs.epochs) || '' }}\n${{ inputs.learning-rate && format('model.learning_rate={0}', inputs.learning-rate) || '' }}";

export const mlopsRetrain: ReusableWorkflow = {
  name: 'mlops-retrain',
  on: {
    workflow_call: {
      inputs: {
        ...PIPELINE_INPUTS,
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
          description: 'Why this retrain (shown in the summary; empty: the weekly schedule)',
          type: 'string',
          required: false,
          default: '',
        },
      },
      secrets: REGISTRY_SECRETS,
    },
  },
  permissions: {},
  jobs: {
    retrain: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 30,
      env: REGISTRY_ENV,
      steps: [
        checkout,
        pipelineCheckout('all'),
        {
          name: 'Reason',
          env: { REASON: "${{ inputs.reason || 'weekly schedule' }}" },
          run: 'echo "### Retrain: ${REASON}" >> "$GITHUB_STEP_SUMMARY"',
        },
        action('train', { id: 'train', with: { set: OVERRIDES, force: true } }),
        action('validate-threshold', { with: { set: OVERRIDES } }),
        upload('model-${{ steps.train.outputs.model-version }}', ['artifacts/model/', 'reports/'], {
          name: 'Keep the model as an artifact',
        }),
        { ...setupPipelineNode, if: WITH_REGISTRY },
        { ...installPipeline, if: WITH_REGISTRY },
        {
          name: 'Register the model (never promoted: only a deploy makes production)',
          if: WITH_REGISTRY,
          env: KEY_ENV,
          run: `${MLOPS_CLI} registry register`,
        },
      ],
    }),
  },
};
