/**
 * security.yml: what the pipeline depends on and how its workflows are
 * written, checked on every pull request to main, every push to it and weekly,
 * since an advisory published today concerns code merged last month.
 * - npm audit fails on a production dependency with a known advisory of high
 *   severity or above (development tools never reach an adopter's runner or VM).
 * - zizmor fails on a workflow finding of medium severity or above, with its
 *   online audits too (a pinned commit that is not the named repository's, an
 *   action with a known advisory), which `npm test` runs offline.
 * - On a pull request, dependency review fails when the change adds a runtime
 *   dependency with a known advisory of high severity or above.
 * A workflow of its own rather than jobs of pr.yml: it runs on a schedule as
 * well, and pr.yml's jobs are the pull-request pipeline the action tests run
 * job by job on a runner without the network these checks need.
 */
import { checkout, job, NODE_VERSION, pinned, setupNode, ZIZMOR_STEP } from './steps.js';
import type { Workflow } from './types.js';

/** Where scripts/services/zizmor.sh installs zizmor on the runner (its MLOPS_PEERS_DIR). */
const PEERS_DIR = '${{ runner.temp }}/peers';

/** The workflows zizmor audits: this repository's and the adopter example's, as `npm test` does. */
const WORKFLOW_DIRS = ['.github/workflows', 'examples/adopter/.github/workflows'];

export const security: Workflow = {
  name: 'security',
  on: {
    pull_request: { branches: ['main'] },
    push: { branches: ['main'] },
    schedule: [{ cron: '17 5 * * 1' }],
  },
  permissions: {},
  concurrency: { group: 'security-${{ github.ref }}', 'cancel-in-progress': true },
  jobs: {
    audit: job({
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 10,
      steps: [
        checkout,
        // npm audit reads package-lock.json: nothing is installed, so no cache either.
        {
          uses: setupNode.uses!,
          with: { 'node-version': NODE_VERSION, 'package-manager-cache': false },
        },
        {
          name: 'Audit the production dependencies',
          run: 'npm audit --omit=dev --audit-level=high',
        },
        {
          name: 'Install zizmor (the version the tests pin)',
          env: { MLOPS_PEERS_DIR: PEERS_DIR },
          run: 'bash scripts/services/zizmor.sh',
        },
        {
          name: ZIZMOR_STEP,
          env: { MLOPS_PEERS_DIR: PEERS_DIR, GH_TOKEN: '${{ github.token }}' },
          run: `"$MLOPS_PEERS_DIR/zizmor/bin/zizmor" --min-severity medium --format github ${WORKFLOW_DIRS.join(' ')}`,
        },
      ],
    }),
    'dependency-review': job({
      if: "github.event_name == 'pull_request'",
      'runs-on': 'ubuntu-latest',
      'timeout-minutes': 10,
      steps: [
        {
          name: 'Review the dependencies the pull request changes',
          uses: pinned('actions/dependency-review-action'),
          with: { 'fail-on-severity': 'high' },
        },
      ],
    }),
  },
};
