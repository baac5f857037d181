/**
 * pr.yml: this repository's pull requests run the pull-request pipeline
 * (mlops-pr.yml) with the actions of the pull request's own commit, and lint
 * and test it too. A new push cancels the run it supersedes.
 */
import { mlopsPr } from './mlops-pr.js';
import { call, OWN_PIPELINE } from './steps.js';
import type { Workflow } from './types.js';

export const pr: Workflow = {
  name: 'pr',
  on: { pull_request: { branches: ['main'] } },
  permissions: {},
  concurrency: { group: 'pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true },
  jobs: {
    pr: call('mlops-pr.yml', mlopsPr, {
      with: {
        ...OWN_PIPELINE,
        lint: true,
        test: true,
        // The suite starts a real sshd and Prometheus on 127.0.0.1; hosted runners have neither.
        'test-setup': 'bash scripts/services.sh',
      },
    }),
  },
};
