/**
 * Steps the workflows share: third-party actions by major version tag, and this
 * repository's own; and what each needs of the job's GITHUB_TOKEN, so a job is
 * granted exactly that (`job()`), never a list kept by hand beside the steps.
 * Teams that require it can pin the tags to commit SHAs here.
 */
import type { Job, Permission, Permissions, Step } from './types.js';

export const NODE_VERSION = '24';

export const checkout: Step = {
  uses: 'actions/checkout@v7',
  with: { 'persist-credentials': false },
};

export const setupNode: Step = {
  uses: 'actions/setup-node@v7',
  with: { 'node-version': NODE_VERSION, cache: 'npm' },
};

export const install: Step = { name: 'Install dependencies', run: 'npm ci' };

export type OwnAction =
  'lint' | 'test' | 'train' | 'validate-threshold' | 'benchmark' | 'report' | 'deploy-vm';

/** A step of one of this repository's actions, `uses: ./actions/<name>`. */
export function action(name: OwnAction, extra: Omit<Step, 'uses'> = {}): Step {
  return { ...extra, uses: `./actions/${name}` };
}

/** Nothing found to upload is an error on the success path; after a failure, what is there is kept. */
export function upload(
  name: string,
  path: string[],
  extra: Omit<Step, 'uses' | 'with'> = {},
  ifNoFilesFound: 'error' | 'warn' = 'error',
): Step {
  return {
    ...extra,
    uses: 'actions/upload-artifact@v7',
    with: {
      name,
      path: path.join('\n'),
      'if-no-files-found': ifNoFilesFound,
      'retention-days': 7,
    },
  };
}

/** An artifact of this run; `with` adds inputs, such as `run-id` for another run's. */
export function download(name: string, path = '.', extra: Omit<Step, 'uses'> = {}): Step {
  return {
    ...extra,
    uses: 'actions/download-artifact@v8',
    with: { name, path, ...extra.with },
  };
}

/** The model and its test metrics, passed from the train job to the jobs after it. */
export const MODEL_ARTIFACT = 'model';
export const MODEL_PATHS = ['artifacts/model/', 'reports/metrics.json'];

/** The report pr-comment.yml posts: markdown only, read as data. */
export const REPORT_ARTIFACT = 'mlops-report';

/**
 * What our own actions do with the token they are given (`github-token`, which
 * defaults to the job's). Only report calls the API: it finds the pull request
 * (GET /pulls: pull-requests read), lists the jobs of the run it reports on
 * (GET /actions/runs/{id}/jobs: actions read) and lists, creates and updates
 * the comment. Comments on a pull request go through the issues API, but GitHub
 * grants them on the target: pull-requests write covers them, issues is not needed.
 * The others read and write the Actions cache, which uses the runner's own
 * token (ACTIONS_RUNTIME_TOKEN), not GITHUB_TOKEN.
 */
const OWN_ACTION_NEEDS: Record<OwnAction, Permissions> = {
  lint: {},
  test: {},
  train: {},
  'validate-threshold': {},
  benchmark: {},
  report: { actions: 'read', 'pull-requests': 'write' },
  'deploy-vm': {},
};

/** Third-party actions, by name without the version, as their READMEs state. */
const ACTION_NEEDS: Record<string, (step: Step) => Permissions> = {
  // It clones with the token: without contents read, a private repository is "Repository not found".
  'actions/checkout': () => ({ contents: 'read' }),
  // Its npm cache goes through the Actions cache service, with the runner's token.
  'actions/setup-node': () => ({}),
  'actions/cache': () => ({}),
  'actions/upload-artifact': () => ({}),
  // This run's artifacts come with the runner's token; another run's through the REST API.
  'actions/download-artifact': (step) => (step.with?.['run-id'] ? { actions: 'read' } : {}),
};

const LEVEL: Record<Permission, number> = { none: 0, read: 1, write: 2 };

/**
 * What one step needs of GITHUB_TOKEN. A step using an action not listed above,
 * or a script handed the token, is refused: its needs must be written here first.
 */
export function stepNeeds(step: Step): Permissions {
  if (step.uses) {
    if (step.uses.startsWith('./actions/')) {
      const name = step.uses.slice('./actions/'.length) as OwnAction;
      const needs = OWN_ACTION_NEEDS[name];
      if (!needs) throw new Error(`${step.uses}: not an action of this repository`);
      return needs;
    }
    const needs = ACTION_NEEDS[step.uses.split('@')[0]!];
    if (!needs)
      throw new Error(
        `${step.uses}: its token permissions are unknown; add it to ACTION_NEEDS in workflows/steps.ts`,
      );
    return needs(step);
  }
  const text = JSON.stringify(step);
  if (/github\.token|secrets\.GITHUB_TOKEN/.test(text))
    throw new Error(
      `step "${step.name ?? step.run}" is handed the token: say what it needs in workflows/steps.ts`,
    );
  return {};
}

/** The least that lets every step run: each scope at the highest level any step needs. */
export function neededPermissions(steps: readonly Step[]): Permissions {
  const merged: Record<string, Permission> = {};
  for (const step of steps)
    for (const [scope, level] of Object.entries(stepNeeds(step)) as [string, Permission][])
      if (level !== 'none' && LEVEL[level] > LEVEL[merged[scope] ?? 'none']) merged[scope] = level;
  return Object.fromEntries(
    Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)),
  ) as Permissions;
}

/** A job granted exactly what its steps need: its `permissions` are computed, never written. */
export function job(spec: Omit<Job, 'permissions'>): Job {
  const { 'runs-on': runsOn, ...rest } = spec;
  return { 'runs-on': runsOn, permissions: neededPermissions(spec.steps), ...rest };
}
