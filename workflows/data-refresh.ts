/**
 * data-refresh.yml: fresh data every week, by hand, or when monitoring asks
 * (repository_dispatch data-refresh, or drift-alert when it sees drift), through
 * mlops-data-refresh.yml: a change arrives as the "Data refresh" pull request.
 */
import { mlopsDataRefresh } from './mlops-data-refresh.js';
import { call, OWN_PIPELINE } from './steps.js';
import type { Workflow } from './types.js';

export const dataRefresh: Workflow = {
  name: 'data-refresh',
  on: {
    schedule: [{ cron: '17 4 * * 1' }],
    workflow_dispatch: {},
    repository_dispatch: { types: ['data-refresh', 'drift-alert'] },
  },
  permissions: {},
  concurrency: { group: 'data-refresh', 'cancel-in-progress': false },
  jobs: {
    refresh: call('mlops-data-refresh.yml', mlopsDataRefresh, {
      with: OWN_PIPELINE,
      secrets: {
        GCP_SA_KEY: '${{ secrets.GCP_SA_KEY }}',
        MLOPS_PR_TOKEN: '${{ secrets.MLOPS_PR_TOKEN }}',
      },
    }),
  },
};
