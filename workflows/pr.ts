/**
 * pr.yml: every pull request lints, tests and trains in parallel, then checks
 * the gates and benchmarks the model, and uploads the report. It runs the pull
 * request's code, possibly a fork's, so its token can only read; the comment is
 * posted by pr-comment.yml.
 */
import {
  action,
  checkout,
  download,
  install,
  MODEL_ARTIFACT,
  MODEL_PATHS,
  REPORT_ARTIFACT,
  setupNode,
  upload,
} from './steps.js';
import type { Workflow } from './types.js';

export const pr: Workflow = {
  name: 'pr',
  on: { pull_request: { branches: ['main'] } },
  permissions: { contents: 'read' },
  concurrency: { group: 'pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true },
  jobs: {
    lint: {
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 15,
      steps: [checkout, setupNode, install, action('lint')],
    },
    test: {
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 20,
      steps: [checkout, setupNode, install, action('test')],
    },
    train: {
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 30,
      outputs: { 'model-version': '${{ steps.train.outputs.model-version }}' },
      steps: [checkout, action('train', { id: 'train' }), upload(MODEL_ARTIFACT, MODEL_PATHS)],
    },
    'validate-threshold': {
      'runs-on': 'ubuntu-latest',
      needs: ['train'],
      'timeout-minutes': 10,
      steps: [
        checkout,
        download(MODEL_ARTIFACT),
        action('validate-threshold', { id: 'gates' }),
        // The report is wanted most when a gate failed.
        upload('gates', ['reports/report.md', 'reports/metrics.json'], {
          if: '${{ !cancelled() }}',
        }),
      ],
    },
    benchmark: {
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
        upload(REPORT_ARTIFACT, ['reports/report.md', 'reports/bench.json']),
      ],
    },
  },
};
