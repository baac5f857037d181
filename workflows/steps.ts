/**
 * Steps the workflows share: third-party actions pinned to a release's commit,
 * and the pipeline's own; and what each needs of the job's GITHUB_TOKEN, so a
 * job is granted exactly that (`job()`), never a list kept by hand beside the steps.
 */
import type {
  CallJob,
  Job,
  Permission,
  Permissions,
  ReusableWorkflow,
  Step,
  WorkflowCallInput,
} from './types.js';

export const NODE_VERSION = '24';

/**
 * Third-party actions pinned to the commit of a release, since a tag can be
 * moved and a commit cannot; the YAML names the release beside each SHA
 * (renderWorkflow), which is also what Dependabot reads to propose updates.
 */
export const PINNED_ACTIONS = {
  'actions/checkout': { sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', release: 'v7.0.1' },
  'actions/setup-node': { sha: '820762786026740c76f36085b0efc47a31fe5020', release: 'v7.0.0' },
  'actions/upload-artifact': { sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', release: 'v7.0.0' },
  'actions/download-artifact': {
    sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c',
    release: 'v8.0.1',
  },
  'actions/dependency-review-action': {
    sha: '2031cfc080254a8a887f58cffee85186f0e49e48',
    release: 'v4.9.0',
  },
  // init and analyze are two actions of one repository: one release, one commit.
  'github/codeql-action/init': {
    sha: '8aad20d150bbac5944a9f9d289da16a4b0d87c1e',
    release: 'v4.36.2',
  },
  'github/codeql-action/analyze': {
    sha: '8aad20d150bbac5944a9f9d289da16a4b0d87c1e',
    release: 'v4.36.2',
  },
} as const;

export const pinned = (name: keyof typeof PINNED_ACTIONS) => `${name}@${PINNED_ACTIONS[name].sha}`;

export const checkout: Step = {
  uses: pinned('actions/checkout'),
  with: { 'persist-credentials': false },
};

export const setupNode: Step = {
  uses: pinned('actions/setup-node'),
  with: { 'node-version': NODE_VERSION, cache: 'npm' },
};

export const install: Step = { name: 'Install dependencies', run: 'npm ci' };

/**
 * Where the pipeline's own actions come from. A reusable workflow called from
 * another repository runs in that repository's workspace, so `uses: ./actions/x`
 * would name a folder of the caller's checkout, and `uses:` takes no
 * expressions, so `owner/repo/actions/x@${{ inputs.ref }}` cannot be written
 * either. Each job therefore checks the pipeline out at the ref its caller asks
 * for (the major tag by default) into PIPELINE_DIR and uses the actions from
 * there: the workflow file and the actions it runs come from one commit.
 * This repository's own callers pass their own commit, so a pull request tests
 * the actions it changes. MLOPS_REPOSITORY is the one place the pipeline's
 * GitHub name is written; a fork that publishes it under another name changes it here.
 */
export const MLOPS_REPOSITORY = 'your-org/mlops-pipeline';
export const MLOPS_MAJOR = 'v1';
export const PIPELINE_DIR = '.mlops/pipeline';

/** The inputs every reusable workflow takes to choose the pipeline it runs. */
export const PIPELINE_INPUTS: Record<string, WorkflowCallInput> = {
  'mlops-repository': {
    description: 'The repository the pipeline and its actions are checked out from',
    type: 'string',
    required: false,
    default: MLOPS_REPOSITORY,
  },
  'mlops-ref': {
    description: 'The tag, branch or commit of the pipeline to run (default: the major tag)',
    type: 'string',
    required: false,
    default: MLOPS_MAJOR,
  },
};

/** This repository's own callers run the pipeline of the commit under test, not the published tag. */
export const OWN_PIPELINE = {
  'mlops-repository': '${{ github.repository }}',
  'mlops-ref': '${{ github.sha }}',
};

/**
 * The pipeline at the caller's chosen ref, in PIPELINE_DIR. `actions` checks
 * out only what the runner loads (action.yml, the bundles, the vendored
 * library), so a job that lints or tests the caller's repository does not find
 * the pipeline's sources and tests in its tree; `all` is the whole package, for
 * jobs that run the `mlops` CLI or stage the server.
 */
export function pipelineCheckout(what: 'actions' | 'all'): Step {
  const sparse: Record<string, string | boolean> =
    what === 'actions'
      ? {
          'sparse-checkout': '/actions/*/action.yml\n/actions/*/dist/\n/actions/vendor/',
          'sparse-checkout-cone-mode': false,
        }
      : {};
  return {
    name: 'Check out the pipeline',
    uses: checkout.uses!,
    with: {
      repository: '${{ inputs.mlops-repository }}',
      ref: '${{ inputs.mlops-ref }}',
      path: PIPELINE_DIR,
      'persist-credentials': false,
      ...sparse,
    },
  };
}

/** Node with npm's cache keyed on the pipeline's lockfile: the caller's repository may have none. */
export const setupPipelineNode: Step = {
  uses: setupNode.uses!,
  with: {
    'node-version': NODE_VERSION,
    cache: 'npm',
    'cache-dependency-path': `${PIPELINE_DIR}/package-lock.json`,
  },
};

export const installPipeline: Step = {
  name: 'Install the pipeline',
  run: 'npm ci',
  'working-directory': PIPELINE_DIR,
};

/** The `mlops` CLI of the checked-out pipeline, run from the caller's workspace (its mlops.yaml). */
export const MLOPS_CLI = `node ${PIPELINE_DIR}/bin/mlops.js`;

export type OwnAction =
  | 'lint'
  | 'test'
  | 'train'
  | 'validate-threshold'
  | 'benchmark'
  | 'report'
  | 'deploy-vm'
  | 'propose';

const OWN_ACTION_PREFIX = `./${PIPELINE_DIR}/actions/`;

/** A step of one of the pipeline's actions, from the checkout `pipelineCheckout()` makes. */
export function action(name: OwnAction, extra: Omit<Step, 'uses'> = {}): Step {
  return { ...extra, uses: `${OWN_ACTION_PREFIX}${name}` };
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
    uses: pinned('actions/upload-artifact'),
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
    uses: pinned('actions/download-artifact'),
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
 * defaults to the job's). report finds the pull request (GET /pulls:
 * pull-requests read), lists the jobs of the run it reports on
 * (GET /actions/runs/{id}/jobs: actions read) and lists, creates and updates
 * the comment. Comments on a pull request go through the issues API, but GitHub
 * grants them on the target: pull-requests write covers them, issues is not needed.
 * validate-threshold and benchmark fetch the production record, a git ref of
 * the repository (contents read). deploy-vm reads the merged pull request's
 * comment for the reviewed model and answers on it (pull-requests write), and
 * pushes the new production record once the release is live (contents write).
 * propose pushes its branch (contents write) and lists, opens and edits the
 * pull request from it (pull-requests write).
 * train reads and writes the Actions cache, which uses the runner's own token
 * (ACTIONS_RUNTIME_TOKEN), not GITHUB_TOKEN.
 */
const OWN_ACTION_NEEDS: Record<OwnAction, Permissions> = {
  lint: {},
  test: {},
  train: {},
  'validate-threshold': { contents: 'read' },
  benchmark: { contents: 'read' },
  report: { actions: 'read', 'pull-requests': 'write' },
  'deploy-vm': { contents: 'write', 'pull-requests': 'write' },
  propose: { contents: 'write', 'pull-requests': 'write' },
};

/**
 * Scripts handed the token, by step name, and what they do with it: a `run:`
 * step that names the token and is not listed here cannot be placed in a job.
 */
/** The step of security.yml that audits the workflows with zizmor, online. */
export const ZIZMOR_STEP = 'Audit the workflows with zizmor';

export const TOKEN_STEP_NEEDS: Record<string, Permissions> = {
  // POST /git/refs and PATCH /git/refs/tags/vN (the tags), POST /releases.
  'Tag the release and move the major tag': { contents: 'write' },
  // Its online audits read public data: the commits and tags of the actions the workflows pin, and advisories.
  [ZIZMOR_STEP]: {},
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
  // It compares the dependency graphs of the pull request's base and head through the API.
  'actions/dependency-review-action': () => ({ contents: 'read' }),
  // Code scanning uploads its results (security-events write); a private repository needs contents read.
  'github/codeql-action/init': () => ({ contents: 'read' }),
  'github/codeql-action/analyze': () => ({ contents: 'read', 'security-events': 'write' }),
};

const LEVEL: Record<Permission, number> = { none: 0, read: 1, write: 2 };

/**
 * What one step needs of GITHUB_TOKEN. A step using an action not listed above,
 * or a script handed the token, is refused: its needs must be written here first.
 */
export function stepNeeds(step: Step): Permissions {
  if (step.uses) {
    if (step.uses.startsWith(OWN_ACTION_PREFIX)) {
      const name = step.uses.slice(OWN_ACTION_PREFIX.length) as OwnAction;
      const needs = OWN_ACTION_NEEDS[name];
      if (!needs) throw new Error(`${step.uses}: not an action of the pipeline`);
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
  const declared = step.name === undefined ? undefined : TOKEN_STEP_NEEDS[step.name];
  if (declared) return declared;
  if (/github\.token|secrets\.GITHUB_TOKEN/.test(text))
    throw new Error(
      `step "${step.name ?? step.run}" is handed the token: say what it needs in workflows/steps.ts`,
    );
  return {};
}

/** Each scope at the highest level any of the grants has. */
export function unionPermissions(grants: readonly Permissions[]): Permissions {
  const merged: Record<string, Permission> = {};
  for (const grant of grants)
    for (const [scope, level] of Object.entries(grant) as [string, Permission][])
      if (level !== 'none' && LEVEL[level] > LEVEL[merged[scope] ?? 'none']) merged[scope] = level;
  return Object.fromEntries(
    Object.entries(merged).sort(([a], [b]) => a.localeCompare(b)),
  ) as Permissions;
}

/** The least that lets every step run: each scope at the highest level any step needs. */
export function neededPermissions(steps: readonly Step[]): Permissions {
  return unionPermissions(steps.map(stepNeeds));
}

/** A job granted exactly what its steps need: its `permissions` are computed, never written. */
export function job(spec: Omit<Job, 'permissions'>): Job {
  const { 'runs-on': runsOn, ...rest } = spec;
  return { 'runs-on': runsOn, permissions: neededPermissions(spec.steps), ...rest };
}

/**
 * A job that calls one of the reusable workflows in .github/workflows. GitHub
 * gives the called jobs at most what the calling job grants, so it grants the
 * union of what they need: computed from them, never written.
 */
export function call(
  file: string,
  called: ReusableWorkflow,
  spec: Omit<CallJob, 'uses' | 'permissions'> = {},
): CallJob {
  const permissions = unionPermissions(
    Object.values(called.jobs).map((j) => j.permissions ?? neededPermissions(j.steps)),
  );
  return { ...spec, uses: `./.github/workflows/${file}`, permissions };
}
