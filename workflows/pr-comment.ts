/**
 * pr-comment.yml: after every pr.yml run, whatever its outcome, make the pull
 * request's one sticky comment tell what that run found. It runs this
 * repository's code from the default branch with a token that may write
 * comments, never the pull request's code: the report artifact is downloaded as
 * data and only read, and the pull request is found from the run's head
 * repository and branch (the run's pull_requests list is empty for forks).
 * When the run failed or was cancelled, the report action reads the run's jobs
 * to say which job and step failed, with or without a report.
 */
import { action, checkout, download, job, REPORT_ARTIFACT } from './steps.js';
import type { Workflow } from './types.js';

export const prComment: Workflow = {
  name: 'pr-comment',
  on: { workflow_run: { workflows: ['pr'], types: ['completed'] } },
  permissions: {},
  jobs: {
    comment: job({
      'runs-on': 'ubuntu-latest',
      if: "${{ github.event.workflow_run.event == 'pull_request' }}",
      // One comment job per pull request at a time (its head repository and branch name it,
      // for forks too), so two runs never both find no comment and both create one.
      concurrency: {
        group:
          'pr-comment-${{ github.event.workflow_run.head_repository.full_name }}-${{ github.event.workflow_run.head_branch }}',
        'cancel-in-progress': false,
      },
      'timeout-minutes': 5,
      steps: [
        checkout,
        download(REPORT_ARTIFACT, '${{ runner.temp }}/report', {
          name: 'Download the report (data only, never executed)',
          // A run that stopped early has no report: the comment then says what failed.
          'continue-on-error': true,
          with: {
            'run-id': '${{ github.event.workflow_run.id }}',
            'github-token': '${{ github.token }}',
          },
        }),
        action('report', {
          // The artifact's root is reports/, the folder its files share.
          with: { report: '${{ runner.temp }}/report/report.md' },
        }),
      ],
    }),
  },
};
