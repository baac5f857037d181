/**
 * deploy.yml: a merge to main gates the model, registers it, deploys it to the
 * VM and smoke-tests it. A deploy in progress is never cancelled; GitHub keeps
 * one more run pending, the newest push's, and cancels the pending one it replaces.
 *
 * With a model registry configured (the MLOPS_REGISTRY secret, a gs:// URL, and
 * GCP_SA_KEY), the model this commit would train is first looked up there by its
 * content hash and, when found, deployed without training; once the release is
 * live and answers, the model is registered and promoted to production, so the
 * alias never names a model that failed to deploy. Without one, training is
 * seeded, so the same content hash gives the reviewed model weight for weight.
 */

/** Steps that use the registry run only when it is configured (`if:` cannot read secrets). */
const REGISTRY_ENV = { MLOPS_REGISTRY: '${{ secrets.MLOPS_REGISTRY }}' };
const WITH_REGISTRY = "env.MLOPS_REGISTRY != ''";
/**
 * The service account key reaches the registry steps alone, as the key's JSON in
 * MLOPS_GCS_CREDENTIALS: the registry takes credentials as a data remote does,
 * so no key file is written to the runner's disk.
 */
const KEY_ENV = { MLOPS_GCS_CREDENTIALS: '${{ secrets.GCP_SA_KEY }}' };
import { action, checkout, install, job, setupNode, upload } from './steps.js';
import type { Workflow } from './types.js';

export const deploy: Workflow = {
  name: 'deploy',
  on: { push: { branches: ['main'] } },
  permissions: {},
  concurrency: { group: 'deploy-production', 'cancel-in-progress': false },
  jobs: {
    deploy: job({
      'runs-on': 'ubuntu-latest',
      // Secrets of the production environment; its protection rules can require a reviewer.
      environment: 'production',
      'timeout-minutes': 30,
      env: REGISTRY_ENV,
      steps: [
        checkout,
        setupNode,
        install,
        {
          name: 'Fetch the reviewed model from the registry',
          if: WITH_REGISTRY,
          env: KEY_ENV,
          run: 'npx mlops registry fetch',
        },
        action('train', { id: 'train' }),
        // On main the baseline is saved once every gate passes: the next PRs compare with it.
        action('validate-threshold', { with: { 'save-baseline': true } }),
        upload('model-${{ steps.train.outputs.model-version }}', ['artifacts/model/', 'reports/'], {
          name: 'Keep the model as an artifact',
        }),
        { name: 'Stage the server', run: 'bash deploy/stage-server.sh .mlops/server' },
        action('deploy-vm', {
          id: 'deploy',
          with: {
            server: '.mlops/server',
            host: '${{ secrets.DEPLOY_HOST }}',
            user: '${{ secrets.DEPLOY_USER }}',
            'host-key': '${{ secrets.DEPLOY_HOST_KEY }}',
            'ssh-private-key': '${{ secrets.DEPLOY_SSH_KEY }}',
          },
        }),
        {
          name: 'Smoke test',
          env: {
            MODEL_URL: '${{ secrets.MODEL_URL }}',
            RELEASE: '${{ steps.deploy.outputs.release }}',
          },
          run: 'curl --fail --silent --show-error --retry 5 --retry-connrefused "$MODEL_URL/readyz" | grep -F "$RELEASE"',
        },
        {
          name: 'Register the model and promote it to production',
          if: WITH_REGISTRY,
          env: { ...KEY_ENV, VERSION: '${{ steps.train.outputs.model-version }}' },
          run: 'npx mlops registry register\nnpx mlops registry promote "$VERSION" production',
        },
      ],
    }),
  },
};
