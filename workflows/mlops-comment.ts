/**
 * mlops-comment.yml: make the pull request's one sticky comment tell what a
 * run of the pull-request pipeline found, whatever its outcome. A reusable
 * workflow cannot be triggered by workflow_run itself: the caller is `on:
 * workflow_run` of its pr workflow and passes the run's id; this workflow then
 * sees the caller's event (github.event.workflow_run). It runs the pipeline at
 * the caller's ref with a token that may write comments, never the pull
 * request's code: the report artifact is downloaded as data and only read, and
 * the pull request is found from the run's head repository and branch (the
 * run's pull_requests list is empty for forks). When the run failed or was
 * cancelled, the report action reads the run's jobs to say which job and step
 * failed, with or without a report.
 */
import {
  action,
  download,
  job,
  PIPELINE_INPUTS,
  pipelineCheckout,
  REPORT_ARTIFACT,
} from './steps.js';
import type { ReusableWorkflow } from './types.js';

export const mlopsComment: ReusableWorkflow = {
  name: 'mlops-comment',
  on: {
    workflow_call: {
      inputs: {
        ...PIPELINE_INPUTS,
        'run-id': {
          description: 'The pull-request pipeline run to report on (github.event.workflow_run.id)',
          type: 'string',
          required: true,
        },
      },
    },
  },
  permissions: {},
  jobs: {
    comment: job({
      'runs-on': 'ubuntu-latest',
      // One comment job per pull request at a time (its head repository and branch name it,
      // for forks too), so two runs never both find no comment and both create one.
      concurrency: {
        group:
          'pr-comment-${{ github.event.workflow_run.head_repository.full_name }}-${{ github.event.workflow_run.head_branch }}',
        'cancel-in-progress': false,
      },
      'timeout-minutes': 5,
      steps: [
        // The pipeline's actions only: the caller's repository is not checked out at all.
        pipelineCheckout('actions'),
        download(REPORT_ARTIFACT, '${{ runner.temp }}/report', {
          name: 'Download the report (data only, never executed)',
          // A run that stopped early has no report: the comment then says what failed.
          'continue-on-error': true,
          with: {
            'run-id': '${{ inputs.run-id }}',
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
