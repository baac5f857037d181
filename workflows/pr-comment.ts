/**
 * pr-comment.yml: after every pr.yml run, whatever its outcome, post or update
 * the pull request's comment (mlops-comment.yml). workflow_run runs this file
 * from the default branch, and github.sha is then the default branch's head:
 * the comment is made by the default branch's pipeline, never the pull request's.
 */
import { mlopsComment } from './mlops-comment.js';
import { call, OWN_PIPELINE } from './steps.js';
import type { Workflow } from './types.js';

export const prComment: Workflow = {
  name: 'pr-comment',
  on: { workflow_run: { workflows: ['pr'], types: ['completed'] } },
  permissions: {},
  jobs: {
    comment: call('mlops-comment.yml', mlopsComment, {
      if: "${{ github.event.workflow_run.event == 'pull_request' }}",
      with: { ...OWN_PIPELINE, 'run-id': '${{ github.event.workflow_run.id }}' },
    }),
  },
};
