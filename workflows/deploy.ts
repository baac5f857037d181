/**
 * deploy.yml: a merge to main gates the model, registers it, deploys it to the
 * VM and smoke-tests it. Deploys queue and are never cancelled halfway.
 */
import { action, checkout, upload } from './steps.js';
import type { Workflow } from './types.js';

export const deploy: Workflow = {
  name: 'deploy',
  on: { push: { branches: ['main'] } },
  permissions: { contents: 'read' },
  concurrency: { group: 'deploy-production', 'cancel-in-progress': false },
  jobs: {
    deploy: {
      'runs-on': 'ubuntu-latest',
      // Secrets of the production environment; its protection rules can require a reviewer.
      environment: 'production',
      'timeout-minutes': 30,
      steps: [
        checkout,
        action('train', { id: 'train' }),
        // On main the baseline is saved once every gate passes: the next PRs compare with it.
        action('validate-threshold', { with: { 'save-baseline': true } }),
        upload('model-${{ steps.train.outputs.model-version }}', ['artifacts/model/', 'reports/'], {
          name: 'Register the model',
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
      ],
    },
  },
};
