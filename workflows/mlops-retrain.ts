/**
 * mlops-retrain.yml: retrain with optional overrides, gate the model against
 * production, keep it as an artifact named by its version (7 days) and write
 * the report to the job summary. With a registry (the MLOPS_REGISTRY secret) it
 * registers the model, and only registers it: a model becomes production only
 * by being deployed (mlops-deploy.yml), so it is never promoted here and never
 * becomes what pull requests compare with. With `open-pr`, once the retrain
 * passed its gates, a second job writes the overrides into mlops.yaml
 * (`mlops config set`) and proposes them (the propose action) as the pull
 * request "Retrain: <reason>", so a better setting reaches production through review.
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

/**
 * The overrides written into mlops.yaml (`mlops config set`, comments and
 * layout kept) and the pull request's body, for the propose action. The inputs
 * reach the script through env, never spliced into it.
 */
const WRITE_OVERRIDES = [
  'set --',
  'if [ -n "$EPOCHS" ]; then set -- "$@" "model.epochs=$EPOCHS"; fi',
  'if [ -n "$LEARNING_RATE" ]; then set -- "$@" "model.learning_rate=$LEARNING_RATE"; fi',
  'if [ "$#" -eq 0 ]; then echo "::error::open-pr: no epochs or learning-rate to propose"; exit 1; fi',
  `${MLOPS_CLI} config set "$@"`,
  '{',
  '  echo "Overrides from retrain run $GITHUB_RUN_ID, which passed its gates:"',
  '  echo',
  '  for o in "$@"; do echo "- \\`$o\\`"; done',
  '} > "$RUNNER_TEMP/body.md"',
].join('\n');

/** The overrides a retrain takes, declared alike by this workflow and by its callers' dispatch. */
export const OVERRIDE_INPUTS = {
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
} as const;

export const mlopsRetrain: ReusableWorkflow = {
  name: 'mlops-retrain',
  on: {
    workflow_call: {
      inputs: {
        ...PIPELINE_INPUTS,
        ...OVERRIDE_INPUTS,
        reason: {
          description: 'Why this retrain (shown in the summary)',
          type: 'string',
          required: false,
          default: '',
        },
        'open-pr': {
          description:
            'Once the retrain passes its gates, propose its overrides in mlops.yaml as a pull request',
          type: 'boolean',
          required: false,
          default: false,
        },
      },
      secrets: {
        ...REGISTRY_SECRETS,
        MLOPS_PR_TOKEN: {
          description:
            'A token that opens the pull request so its pipeline runs; without it the job token opens it and pr.yml does not start',
          required: false,
        },
      },
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
          env: { REASON: "${{ inputs.reason || 'by hand' }}" },
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
    'pull-request': job({
      needs: ['retrain'],
      if: 'inputs.open-pr',
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 10,
      steps: [
        checkout,
        pipelineCheckout('all'),
        setupPipelineNode,
        installPipeline,
        {
          name: 'Write the overrides into mlops.yaml',
          env: {
            EPOCHS: '${{ inputs.epochs }}',
            LEARNING_RATE: '${{ inputs.learning-rate }}',
          },
          run: WRITE_OVERRIDES,
        },
        // A pull request opened with the job's own token starts no workflow (GitHub's
        // rule against loops); MLOPS_PR_TOKEN, when given, opens it so pr.yml runs on it.
        action('propose', {
          name: 'Open the retrain pull request',
          with: {
            branch: 'mlops/retrain-${{ github.run_id }}',
            title: "Retrain: ${{ inputs.reason || 'by hand' }}",
            paths: 'mlops.yaml',
            'body-file': '${{ runner.temp }}/body.md',
            'github-token': '${{ secrets.MLOPS_PR_TOKEN || github.token }}',
          },
        }),
      ],
    }),
  },
};
