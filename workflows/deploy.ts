/**
 * deploy.yml: a merge to main deploys it (mlops-deploy.yml). A deploy in
 * progress is never cancelled; GitHub keeps at most one more run of the group
 * pending, and a newer pending run replaces it (the replaced one is cancelled
 * without running), so the latest main is always deployed and an intermediate
 * merge may never be.
 */
import { mlopsDeploy } from './mlops-deploy.js';
import { call, OWN_PIPELINE } from './steps.js';
import type { Workflow } from './types.js';

export const deploy: Workflow = {
  name: 'deploy',
  on: { push: { branches: ['main'] } },
  permissions: {},
  concurrency: { group: 'deploy-production', 'cancel-in-progress': false },
  jobs: {
    // The deploy secrets are the production environment's: they reach the called job, which
    // runs in that environment, directly. Only the registry's are passed, and nothing else.
    deploy: call('mlops-deploy.yml', mlopsDeploy, {
      with: OWN_PIPELINE,
      secrets: {
        MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}',
        GCP_SA_KEY: '${{ secrets.GCP_SA_KEY }}',
      },
    }),
  },
};
