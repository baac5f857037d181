/**
 * mlops-deploy.yml: gate the merged commit's model against production,
 * benchmark it, deploy it to the VM, and register it.
 *
 * With a model registry (the MLOPS_REGISTRY secret, a gs:// URL, and
 * GCP_SA_KEY), the model this commit would train is first looked up there by its
 * content hash and, when found, deployed without training. deploy-vm puts live
 * only the model the merged pull request's comment reviewed (its version and
 * weights' sha256), smoke-tests it at the MODEL_URL secret and, once it is live,
 * pushes the production record (with the gates' metrics and the benchmark) that
 * pull requests compare with. Only then is the model registered and promoted to
 * production, so the alias never names a model that failed to deploy.
 *
 * The job runs in the caller's deployment environment (`production` by
 * default): secrets kept in that environment reach it directly, and its
 * protection rules can require a reviewer. The caller queues deploys
 * (concurrency), since only it knows what else deploys to the same place.
 */
import { KEY_ENV, REGISTRY_ENV, REGISTRY_SECRETS, WITH_REGISTRY } from './registry.js';
import {
  action,
  checkout,
  installPipeline,
  job,
  MLOPS_CLI,
  PIPELINE_DIR,
  PIPELINE_INPUTS,
  pipelineCheckout,
  setupPipelineNode,
  upload,
} from './steps.js';
import type { ReusableWorkflow } from './types.js';

const secret = (description: string) => ({ description, required: false });

export const mlopsDeploy: ReusableWorkflow = {
  name: 'mlops-deploy',
  on: {
    workflow_call: {
      inputs: {
        ...PIPELINE_INPUTS,
        environment: {
          description:
            'The deployment environment the job runs in (its secrets and protection rules)',
          type: 'string',
          required: false,
          default: 'production',
        },
      },
      // None is required here: they may be kept in the environment instead of passed.
      secrets: {
        DEPLOY_HOST: secret('The VM: a host name or IP address'),
        DEPLOY_USER: secret('The SSH user on the VM'),
        DEPLOY_HOST_KEY: secret("The VM's public host key (ssh-keyscan -t ed25519 HOST)"),
        DEPLOY_SSH_KEY: secret('The private key the VM accepts for DEPLOY_USER'),
        MODEL_URL: secret('Where the deployed server answers; its /readyz is the smoke test'),
        ...REGISTRY_SECRETS,
      },
    },
  },
  permissions: {},
  jobs: {
    deploy: job({
      'runs-on': 'ubuntu-latest',
      environment: '${{ inputs.environment }}',
      'timeout-minutes': 30,
      env: REGISTRY_ENV,
      steps: [
        checkout,
        pipelineCheckout('all'),
        setupPipelineNode,
        installPipeline,
        {
          name: 'Fetch the reviewed model from the registry',
          if: WITH_REGISTRY,
          env: KEY_ENV,
          run: `${MLOPS_CLI} registry fetch`,
        },
        action('train', { id: 'train' }),
        action('validate-threshold'),
        // Before the deploy: the record of what went live carries its benchmark.
        action('benchmark'),
        upload('model-${{ steps.train.outputs.model-version }}', ['artifacts/model/', 'reports/'], {
          name: 'Keep the model as an artifact',
        }),
        {
          name: 'Stage the server',
          run: `bash ${PIPELINE_DIR}/deploy/stage-server.sh .mlops/server`,
        },
        action('deploy-vm', {
          id: 'deploy',
          with: {
            server: '.mlops/server',
            host: '${{ secrets.DEPLOY_HOST }}',
            user: '${{ secrets.DEPLOY_USER }}',
            'host-key': '${{ secrets.DEPLOY_HOST_KEY }}',
            'ssh-private-key': '${{ secrets.DEPLOY_SSH_KEY }}',
            'smoke-url': '${{ secrets.MODEL_URL }}',
            metrics: 'reports/metrics.json',
            bench: 'reports/bench.json',
          },
        }),
        {
          name: 'Register the model and promote it to production',
          if: WITH_REGISTRY,
          env: { ...KEY_ENV, VERSION: '${{ steps.train.outputs.model-version }}' },
          run: `${MLOPS_CLI} registry register\n${MLOPS_CLI} registry promote "$VERSION" production`,
        },
      ],
    }),
  },
};
