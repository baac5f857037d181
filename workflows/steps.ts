/**
 * Steps the workflows share: third-party actions by major version tag, and this
 * repository's own. Teams that require it can pin the tags to commit SHAs here.
 */
import type { Step } from './types.js';

export const NODE_VERSION = '24';

export const checkout: Step = {
  uses: 'actions/checkout@v5',
  with: { 'persist-credentials': false },
};

export const setupNode: Step = {
  uses: 'actions/setup-node@v5',
  with: { 'node-version': NODE_VERSION, cache: 'npm' },
};

export const install: Step = { name: 'Install dependencies', run: 'npm ci' };

/** A step of one of this repository's actions, `uses: ./actions/<name>`. */
export function action(
  name: 'lint' | 'test' | 'train' | 'validate-threshold' | 'benchmark' | 'report' | 'deploy-vm',
  extra: Omit<Step, 'uses'> = {},
): Step {
  return { ...extra, uses: `./actions/${name}` };
}

export function upload(
  name: string,
  path: string[],
  extra: Omit<Step, 'uses' | 'with'> = {},
): Step {
  return {
    ...extra,
    uses: 'actions/upload-artifact@v4',
    with: { name, path: path.join('\n'), 'if-no-files-found': 'error', 'retention-days': 7 },
  };
}

export function download(name: string, path = '.', extra: Omit<Step, 'uses' | 'with'> = {}): Step {
  return { ...extra, uses: 'actions/download-artifact@v5', with: { name, path } };
}

/** The model and its test metrics, passed from the train job to the jobs after it. */
export const MODEL_ARTIFACT = 'model';
export const MODEL_PATHS = ['artifacts/model/', 'reports/metrics.json'];

/** The report pr-comment.yml posts: markdown only, read as data. */
export const REPORT_ARTIFACT = 'mlops-report';
