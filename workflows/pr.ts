/**
 * pr.yml: every pull request lints, tests and trains in parallel, then checks
 * the gates and benchmarks the model, and uploads the report. It runs the pull
 * request's code, possibly a fork's, so its token can only read; the comment is
 * posted by pr-comment.yml, for every outcome of this run: a job that fails
 * still uploads what it has, and what is missing is told from the run's jobs.
 */
import {
  action,
  checkout,
  download,
  install,
  job,
  MODEL_ARTIFACT,
  MODEL_PATHS,
  REPORT_ARTIFACT,
  setupNode,
  upload,
} from './steps.js';
import type { Workflow } from './types.js';

/** After a failed step, not after a cancel: the report is wanted most when something failed. */
const UNLESS_CANCELLED = '${{ !cancelled() }}';

export const pr: Workflow = {
  name: 'pr',
  on: { pull_request: { branches: ['main'] } },
  // Each job is granted what its steps need (job()); nothing else is.
  permissions: {},
  concurrency: { group: 'pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true },
  jobs: {
    lint: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 15,
      steps: [checkout, setupNode, install, action('lint')],
    }),
    test: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 20,
      steps: [
        checkout,
        setupNode,
        install,
        // The suite starts a real sshd and Prometheus on 127.0.0.1; hosted runners have neither.
        {
          name: 'Install the OpenSSH server and Prometheus the tests start',
          run: 'bash scripts/services.sh',
        },
        action('test'),
      ],
    }),
    train: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 30,
      outputs: { 'model-version': '${{ steps.train.outputs.model-version }}' },
      // A model is passed on only when training finished: a half-written one is never gated.
      steps: [checkout, action('train', { id: 'train' }), upload(MODEL_ARTIFACT, MODEL_PATHS)],
    }),
    'validate-threshold': job({
      'runs-on': 'ubuntu-latest',
      needs: ['train'],
      'timeout-minutes': 10,
      steps: [
        checkout,
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
