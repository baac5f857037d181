/**
 * pr-comment.yml: after pr.yml, post its report as the pull request's sticky
 * comment. It runs this repository's code from the default branch with a token
 * that may write comments, never the pull request's code: the report artifact
 * is downloaded as data and only read, and the pull request is found from the
 * run's head repository and sha (the run's pull_requests list is empty for forks).
 */
import { REPORT_ARTIFACT } from './steps.js';
import { action, checkout } from './steps.js';
import type { Workflow } from './types.js';

export const prComment: Workflow = {
  name: 'pr-comment',
  on: { workflow_run: { workflows: ['pr'], types: ['completed'] } },
  permissions: {},
  jobs: {
    comment: {
      'runs-on': 'ubuntu-latest',
      if: "${{ github.event.workflow_run.event == 'pull_request' && github.event.workflow_run.conclusion != 'cancelled' }}",
      permissions: { actions: 'read', 'pull-requests': 'write' },
      'timeout-minutes': 5,
      steps: [
        checkout,
        {
          name: 'Download the report (data only, never executed)',
          uses: 'actions/download-artifact@v5',
          with: {
            name: REPORT_ARTIFACT,
            path: '${{ runner.temp }}/report',
            'run-id': '${{ github.event.workflow_run.id }}',
            'github-token': '${{ github.token }}',
          },
        },
        action('report', {
          // The artifact's root is reports/, the folder its files share.
          with: { report: '${{ runner.temp }}/report/report.md' },
        }),
      ],
    },
  },
};
