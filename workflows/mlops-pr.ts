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
import type { ReusableWorkflow, Step } from './types.js';

/** After a failed step, not after a cancel: the report is wanted most when something failed. */
const UNLESS_CANCELLED = '${{ !cancelled() }}';

/**
 * A pull_request run checks out the merge commit, whose first parent is the
 * base branch as the pull request merges into it: two commits deep, the train
 * job compares the data with the base's (HEAD^1), by the checkout's own fetch,
 * so a private repository needs no credentials left in git. Elsewhere (a
 * caller on another event) there is no base, and no comparison.
 */
const withBase: Step = { ...checkout, with: { ...checkout.with, 'fetch-depth': 2 } };
const DATA_BASE = "${{ github.event_name == 'pull_request' && 'HEAD^1' || '' }}";

/** The data-changes section the train job computes travels with the model to the report. */
const SECTIONS_PATH = 'reports/sections/';

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
        withBase,
        pipelineCheckout('actions'),
        action('train', { id: 'train', with: { 'data-base': DATA_BASE } }),
        upload(MODEL_ARTIFACT, [...MODEL_PATHS, SECTIONS_PATH]),
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
