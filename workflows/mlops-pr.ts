/**
 * mlops-pr.yml, the pull-request pipeline as a reusable workflow: train, then
 * check the gates against production and benchmark the model, and upload the
 * report; lint and test the caller's own code when it asks. It runs the pull
 * request's code, possibly a fork's, so it takes no secrets and its jobs only
 * read; the comment is posted by mlops-comment.yml, for every outcome of this
 * run: a job that fails still uploads what it has, and what is missing is told
 * from the run's jobs.
 */
import {
  action,
  checkout,
  download,
  install,
  job,
  MODEL_ARTIFACT,
  MODEL_PATHS,
  PIPELINE_INPUTS,
  pipelineCheckout,
  REPORT_ARTIFACT,
  setupNode,
  upload,
} from './steps.js';
import type { ReusableWorkflow } from './types.js';

/** After a failed step, not after a cancel: the report is wanted most when something failed. */
const UNLESS_CANCELLED = '${{ !cancelled() }}';

export const mlopsPr: ReusableWorkflow = {
  name: 'mlops-pr',
  on: {
    workflow_call: {
      inputs: {
        ...PIPELINE_INPUTS,
        lint: {
          description:
            "Lint the repository's own code (ESLint, Prettier, tsc; needs a package.json)",
          type: 'boolean',
          required: false,
          default: false,
        },
        test: {
          description: "Run the repository's own Vitest suite (needs a package.json)",
          type: 'boolean',
          required: false,
          default: false,
        },
        'test-setup': {
          description:
            'A command run after npm ci, before the tests (e.g. to install services they start)',
          type: 'string',
          required: false,
          default: '',
        },
      },
    },
  },
  // Each job is granted what its steps need (job()); nothing else is.
  permissions: {},
  jobs: {
    lint: job({
      'runs-on': 'ubuntu-latest',
      if: '${{ inputs.lint }}',
      'timeout-minutes': 15,
      steps: [checkout, pipelineCheckout('actions'), setupNode, install, action('lint')],
    }),
    test: job({
      'runs-on': 'ubuntu-latest',
      if: '${{ inputs.test }}',
      'timeout-minutes': 20,
      steps: [
        checkout,
        pipelineCheckout('actions'),
        setupNode,
        install,
        {
          name: 'Test setup',
          if: "inputs.test-setup != ''",
          // Through the environment: the command is run as the caller wrote it, never pasted into a script.
          env: { TEST_SETUP: '${{ inputs.test-setup }}' },
          run: 'bash -c "$TEST_SETUP"',
        },
        action('test'),
      ],
    }),
    train: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 30,
      outputs: { 'model-version': '${{ steps.train.outputs.model-version }}' },
      // A model is passed on only when training finished: a half-written one is never gated.
      steps: [
        checkout,
        pipelineCheckout('actions'),
        action('train', { id: 'train' }),
        upload(MODEL_ARTIFACT, MODEL_PATHS),
      ],
    }),
    'validate-threshold': job({
      'runs-on': 'ubuntu-latest',
      needs: ['train'],
      'timeout-minutes': 10,
      steps: [
        checkout,
        pipelineCheckout('actions'),
        download(MODEL_ARTIFACT),
        action('validate-threshold', { id: 'gates' }),
        upload(
          'gates',
          ['reports/report.md', 'reports/metrics.json'],
          { if: UNLESS_CANCELLED },
          'warn',
        ),
      ],
    }),
    benchmark: job({
      'runs-on': 'ubuntu-latest',
      needs: ['train', 'validate-threshold'],
      if: "${{ !cancelled() && needs.train.result == 'success' }}",
      'timeout-minutes': 10,
      steps: [
        checkout,
        pipelineCheckout('actions'),
        download(MODEL_ARTIFACT),
        // The artifact's root is reports/, the folder its files share.
        download('gates', 'reports'),
        action('benchmark'),
        // A failed benchmark gate still leaves the report with the gates and its section.
        upload(
          REPORT_ARTIFACT,
          ['reports/report.md', 'reports/bench.json'],
          { if: UNLESS_CANCELLED },
          'warn',
        ),
      ],
    }),
  },
};
