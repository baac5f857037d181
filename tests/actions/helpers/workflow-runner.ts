/**
 * Run a workflow's jobs the way GitHub would, on this machine: jobs in the order
 * their `needs` allow, each in a fresh checkout, `if:` conditions and `${{ }}`
 * evaluated, this repository's actions run from their bundles with their
 * action.yml defaults, and artifacts moved between jobs by upload-artifact and
 * download-artifact as those actions lay them out (an artifact's root is the
 * folder its files share). Third-party setup steps are no-ops here. A `run:`
 * step is the test's to run (`onRun`), with the files the runner hands every
 * step (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP, GITHUB_EVENT_PATH)
 * and its outputs read back, so `steps.<id>.outputs` works as on GitHub.
 *
 * A job that calls a reusable workflow (`uses: ./.github/workflows/x.yml`) runs
 * that file's jobs as GitHub does: the YAML GitHub would read, its
 * workflow_call inputs from the caller's `with:` over their defaults (typed),
 * its secrets from the caller's `secrets:` (or all of them for `inherit`), and
 * each called job named `<caller> / <job>`, as the jobs API lists it.
 *
 * The pipeline a job checks out (actions/checkout with `repository:` and
 * `path:`) is the one under test, this checkout: its actions run from here,
 * and a step that uses `./<path>/actions/<name>` fails, as on GitHub, unless
 * the job checked the pipeline out at `<path>` first. Nothing is copied there,
 * so the repository's own lint and tests never see it.
 *
 * In a private repository (the event's `repository.private`), a checkout of it
 * fails unless the job's token may read its contents: the job's `permissions`
 * (or its workflow's), never more than a calling job grants. This check
 * stands in for GitHub's "Repository not found", which is all a checkout
 * without `contents: read` gets there.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import type {
  CallJob,
  Job,
  Permission,
  Permissions,
  Step,
  Workflow,
} from '../../../workflows/types.js';
import { writeEvent } from './events.js';
import { condition, interpolate } from './expressions.js';
import { REPO_ROOT, runAction, type ActionRun } from './run-action.js';

export interface StepResult {
  step: Step;
  outcome: 'success' | 'failure' | 'skipped';
  action?: ActionRun;
  /** What a `run:` step wrote to GITHUB_STEP_SUMMARY (an action's is in `action`). */
  summary?: string;
}

export interface JobResult {
  result: 'success' | 'failure' | 'skipped';
  steps: StepResult[];
  outputs: Record<string, string>;
  /** The job's checkout: there while afterJob runs, removed when the run returns. */
  workspace?: string;
}

export interface RunnerOptions {
  /** The repository content a checkout gives. */
  source: string;
  eventName: string;
  payload: Record<string, unknown>;
  /** What GITHUB_TOKEN is for this workflow (its permissions are the API server's business). */
  token: string;
  runId: string;
  /** Artifacts by run id, then name: shared between the workflows of one test. */
  artifacts: Map<string, Map<string, string>>;
  /** Where uploaded artifacts are kept; outlives the run, the test removes it. */
  artifactDir: string;
  /** Environment every step gets (API URL, cache service, repository …). */
  env: Record<string, string>;
  /** The repository's secrets, for `secrets.X` and `secrets: inherit`. */
  secrets?: Record<string, string>;
  /**
   * Each deployment environment's secrets, by environment name: a job that
   * runs in one (`environment:`) sees them over its workflow's, in a called
   * workflow too, where the caller cannot pass them.
   */
  environments?: Record<string, Record<string, string>>;
  /** What a `run:` step does here (its `run` interpolated); by default running one is an error. */
  onRun?: (
    step: Step,
    job: string,
    env: Record<string, string>,
    workspace: string,
  ) => 'success' | 'failure' | Promise<'success' | 'failure'>;
  /**
   * Inputs given to every step of one of this repository's actions, by action
   * name, over its `with:`: what this machine differs in from the real one
   * (a VM's SSH port, release root and service command), not what a workflow chose.
   */
  actionInputs?: Record<string, Record<string, string>>;
  /** Jobs to run, by id (a called workflow's own id, or `<caller> / <job>`); others are skipped. */
  jobs?: string[];
  /** Called when a job finishes; its workspace is removed afterwards. */
  afterJob?: (name: string, job: JobResult) => Promise<void> | void;
}

function order(jobs: Record<string, Job | CallJob>): string[] {
  const done: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (done.includes(name)) return;
    if (path.includes(name))
      throw new Error(`jobs need each other: ${[...path, name].join(' -> ')}`);
    for (const need of jobs[name]!.needs ?? []) visit(need, [...path, name]);
    done.push(name);
  };
  Object.keys(jobs).forEach((n) => visit(n, []));
  return done;
}

async function actionDefaults(name: string): Promise<Record<string, string>> {
  const meta = parse(await readFile(join(REPO_ROOT, 'actions', name, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: string }>;
  };
  return Object.fromEntries(
    Object.entries(meta.inputs ?? {})
      .filter(([, i]) => i.default !== undefined)
      .map(([k, i]) => [k, String(i.default)]),
  );
}

async function listFiles(path: string): Promise<string[]> {
  const { readdir, stat } = await import('node:fs/promises');
  const info = await stat(path).catch(() => undefined);
  if (!info) return [];
  if (info.isFile()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

function commonRoot(files: string[]): string {
  let root = dirname(files[0]!);
  for (const f of files) while (!`${f}${sep}`.startsWith(`${root}${sep}`)) root = dirname(root);
  return root;
}

/** What `${{ }}` sees in one workflow: the caller's event, this file's inputs and secrets. */
interface Scope {
  inputs: Record<string, unknown>;
  secrets: Record<string, string>;
  /** `<caller> / ` for the jobs of a called workflow. */
  prefix: string;
  /** The workflow's own `permissions:`, which its jobs without any get. */
  permissions: Permissions | undefined;
  /** What the calling job's token may do: a called job never gets more. */
  cap: Permissions | undefined;
}

const LEVEL: Record<Permission, number> = { none: 0, read: 1, write: 2 };

/** A job's token: its own permissions or its workflow's, capped by its caller's. */
function granted(job: Job | CallJob, scope: Scope): Permissions | undefined {
  const own = job.permissions ?? scope.permissions;
  if (!scope.cap) return own;
  // No permissions anywhere is the repository's default, which a caller's cap still bounds.
  if (!own) return scope.cap;
  const capped: Permissions = {};
  for (const [key, level] of Object.entries(own) as [keyof Permissions, Permission][]) {
    const limit = scope.cap[key] ?? 'none';
    capped[key] = LEVEL[level] <= LEVEL[limit] ? level : limit;
  }
  return capped;
}

/** Whether a token with these permissions may read the repository's contents. */
function readsContents(permissions: Permissions | undefined): boolean {
  // No permissions key at all: the repository's default token, which reads contents.
  if (!permissions) return true;
  return LEVEL[permissions.contents ?? 'none'] >= LEVEL.read;
}

interface CallInput {
  type: 'string' | 'number' | 'boolean';
  required?: boolean;
  default?: string | number | boolean;
}

const isCall = (job: Job | CallJob): job is CallJob => typeof job.uses === 'string';

/** An input as its declared type: the `with:` value of an expression is a string. */
function typed(value: unknown, type: CallInput['type']): unknown {
  if (typeof value !== 'string') return value;
  if (type === 'boolean') return value === 'true';
  if (type === 'number') return Number(value);
  return value;
}

/** GITHUB_OUTPUT as a script writes it: `name=value` lines and `name<<DELIMITER` blocks. */
function stepOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const block = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (block) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== block[2]; i++) value.push(lines[i]!);
      outputs[block[1]!] = value.join('\n');
      continue;
    }
    const line = /^([^=]+)=(.*)$/.exec(lines[i]!);
    if (line) outputs[line[1]!] = line[2]!;
  }
  return outputs;
}

const OWN_ACTION = /^\.\/(.+)\/actions\/([^/]+)$/;

export async function runWorkflow(
  workflow: Workflow,
  options: RunnerOptions,
): Promise<Record<string, JobResult>> {
  const results: Record<string, JobResult> = {};
  const store = options.artifacts.get(options.runId) ?? new Map<string, string>();
  options.artifacts.set(options.runId, store);
  const temp = await mkdtemp(join(tmpdir(), 'mlops-run-'));
  try {
    const eventPath = await writeEvent(temp, options.payload);
    const top: Scope = {
      inputs: (options.payload['inputs'] as Record<string, unknown>) ?? {},
      secrets: options.secrets ?? {},
      prefix: '',
      permissions: workflow.permissions,
      cap: undefined,
    };
    await runJobs(workflow.jobs, top, { options, store, temp, eventPath, results });
    return results;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

interface Run {
  options: RunnerOptions;
  store: Map<string, string>;
  temp: string;
  eventPath: string;
  /** Every job run so far, by the name GitHub lists it under. */
  results: Record<string, JobResult>;
}

function baseContext(run: Run, scope: Scope, workspace: string, runnerTemp: string) {
  const { options } = run;
  return {
    github: {
      token: options.token,
      event_name: options.eventName,
      event: options.payload,
      repository: options.env['GITHUB_REPOSITORY'],
      ref: options.env['GITHUB_REF'],
      ref_name: options.env['GITHUB_REF']?.replace(/^refs\/(heads|tags)\//, ''),
      sha: options.env['GITHUB_SHA'] ?? '0'.repeat(40),
      run_id: options.runId,
      workspace,
    },
    runner: { temp: runnerTemp, os: 'Linux' },
    inputs: scope.inputs,
    secrets: scope.secrets,
    vars: {},
  };
}

async function runJobs(jobs: Record<string, Job | CallJob>, scope: Scope, run: Run): Promise<void> {
  const local: Record<string, JobResult> = {};
  for (const id of order(jobs)) {
    const job = jobs[id]!;
    const name = `${scope.prefix}${id}`;
    const needs = Object.fromEntries(
      (job.needs ?? []).map((n) => [n, { result: local[n]!.result, outputs: local[n]!.outputs }]),
    );
    const needsOk = (job.needs ?? []).every((n) => local[n]!.result === 'success');
    const context = { ...baseContext(run, scope, '', ''), needs, env: {} };
    if (!condition(job.if, context, { ok: needsOk })) {
      local[id] = run.results[name] = { result: 'skipped', steps: [], outputs: {} };
      continue;
    }
    if (isCall(job)) {
      local[id] = await callWorkflow(name, job, context, scope, run);
      continue;
    }
    const selected = !run.options.jobs || [id, name].some((n) => run.options.jobs!.includes(n));
    if (!selected) {
      local[id] = run.results[name] = { result: 'skipped', steps: [], outputs: {} };
      continue;
    }
    local[id] = run.results[name] = await runJob(name, job, needs, scope, run);
    await run.options.afterJob?.(name, local[id]);
  }
}

/** A job that calls a reusable workflow of this repository: its jobs run as the caller's. */
async function callWorkflow(
  name: string,
  job: CallJob,
  context: Record<string, unknown>,
  scope: Scope,
  run: Run,
): Promise<JobResult> {
  if (!job.uses.startsWith('./.github/workflows/'))
    throw new Error(`${name}: only this repository's reusable workflows run here, not ${job.uses}`);
  const called = parse(await readFile(join(REPO_ROOT, job.uses), 'utf8')) as Workflow;
  const declared = (called.on.workflow_call?.inputs ?? {}) as Record<string, CallInput>;
  const given = Object.fromEntries(
    Object.entries(job.with ?? {}).map(([k, v]) => [
      k,
      typeof v === 'string' ? interpolate(v, context) : v,
    ]),
  );
  const inputs: Record<string, unknown> = {};
  for (const [key, input] of Object.entries(declared)) {
    if (input.required && !(key in given))
      throw new Error(`${name}: ${job.uses} requires the input ${key}`);
    inputs[key] = typed(key in given ? given[key] : (input.default ?? ''), input.type);
  }
  for (const key of Object.keys(given))
    if (!(key in declared)) throw new Error(`${name}: ${job.uses} declares no input ${key}`);
  const secrets =
    job.secrets === 'inherit'
      ? (run.options.secrets ?? {})
      : Object.fromEntries(
          Object.entries(job.secrets ?? {}).map(([k, v]) => [k, interpolate(v, context)]),
        );
  const before = new Set(Object.keys(run.results));
  await runJobs(
    called.jobs,
    {
      inputs,
      secrets,
      prefix: `${name} / `,
      permissions: called.permissions,
      cap: granted(job, scope),
    },
    run,
  );
  const mine = Object.entries(run.results).filter(([n]) => !before.has(n));
  const failed = mine.some(([, r]) => r.result === 'failure');
  return { result: failed ? 'failure' : 'success', steps: [], outputs: {} };
}

async function runJob(
  name: string,
  job: Job,
  needs: Record<string, unknown>,
  scope: Scope,
  run: Run,
): Promise<JobResult> {
  const { options, store, eventPath } = run;
  const jobDir = join(run.temp, name.replaceAll(' / ', '--'));
  const workspace = join(jobDir, 'workspace');
  const runnerTemp = join(jobDir, 'runner-temp');
  // The runner creates the workspace before any step, checkout or not.
  await mkdir(workspace, { recursive: true });
  await mkdir(runnerTemp, { recursive: true });
  const steps: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
  const pipelines = new Set<string>();
  const environment = typeof job.environment === 'string' ? job.environment : job.environment?.name;
  const environmentName = environment && interpolate(environment, baseContext(run, scope, '', ''));
  const secrets = {
    ...scope.secrets,
    ...(environmentName ? options.environments?.[environmentName] : {}),
  };
  const base = baseContext(run, { ...scope, secrets }, workspace, runnerTemp);
  const jobEnv = Object.fromEntries(
    Object.entries(job.env ?? {}).map(([k, v]) => [k, interpolate(v, { ...base, needs })]),
  );
  const context = () => ({ ...base, needs, steps, env: jobEnv });
  const stepResults: StepResult[] = [];
  let ok = true;
  for (const step of job.steps) {
    if (!condition(step.if, context(), { ok })) {
      stepResults.push({ step, outcome: 'skipped' });
      continue;
    }
    const w = Object.fromEntries(
      Object.entries(step.with ?? {}).map(([k, v]) => [
        k,
        interpolate(String(v), context(), { ok }),
      ]),
    );
    let outcome: StepResult['outcome'] = 'success';
    let action: ActionRun | undefined;
    let summary: string | undefined;
    const uses = step.uses ?? '';
    const own = OWN_ACTION.exec(uses);
    if (uses.startsWith('actions/checkout@')) {
      const repository = w['repository'] || options.env['GITHUB_REPOSITORY'];
      const repo = options.payload['repository'] as { private?: boolean } | undefined;
      if (
        repo?.private &&
        repository === options.env['GITHUB_REPOSITORY'] &&
        !readsContents(granted(job, scope))
      )
        // GitHub answers "Repository not found" to a token that may not read a private repository.
        outcome = 'failure';
      else if (w['path']) {
        // Another repository at a ref, beside the workspace's own: the pipeline under test.
        if (!w['repository'] || !w['ref'])
          throw new Error(`${name}: checkout into ${w['path']} names no repository or ref`);
        pipelines.add(w['path']);
      } else await cp(options.source, workspace, { recursive: true, verbatimSymlinks: true });
    } else if (uses.startsWith('actions/setup-node@')) {
      // Node is this process's own.
    } else if (uses.startsWith('actions/upload-artifact@')) {
      const paths = w['path']!.split('\n')
        .map((p) => p.trim())
        .filter(Boolean)
        .map((p) => resolve(workspace, p));
      const files = (await Promise.all(paths.map(listFiles))).flat();
      if (!files.length) outcome = w['if-no-files-found'] === 'error' ? 'failure' : 'success';
      else {
        const root = commonRoot(files);
        const dest = join(options.artifactDir, options.runId, w['name']!);
        await rm(dest, { recursive: true, force: true });
        for (const f of files) await cp(f, join(dest, relative(root, f)));
        store.set(w['name']!, dest);
      }
    } else if (uses.startsWith('actions/download-artifact@')) {
      const runId = w['run-id'] || options.runId;
      const from = options.artifacts.get(runId)?.get(w['name']!);
      if (!from) outcome = 'failure';
      else {
        const to = w['path']
          ? isAbsolute(w['path'])
            ? w['path']
            : resolve(workspace, w['path'])
          : workspace;
        await cp(from, to, { recursive: true });
      }
    } else if (own) {
      const actionName = own[2]!;
      if (!pipelines.has(own[1]!)) {
        // GitHub: "Can't find 'action.yml' … Did you forget to run actions/checkout?"
        outcome = 'failure';
      } else {
        const defaults = await actionDefaults(actionName);
        const inputs = Object.fromEntries(
          Object.entries(defaults).map(([k, v]) => [k, interpolate(v, context())]),
        );
        action = await runAction(actionName, {
          workspace,
          inputs: { ...inputs, ...w, ...options.actionInputs?.[actionName] },
          env: {
            ...options.env,
            ...jobEnv,
            GITHUB_EVENT_NAME: options.eventName,
            GITHUB_EVENT_PATH: eventPath,
            GITHUB_RUN_ID: options.runId,
            RUNNER_TEMP: runnerTemp,
          },
        });
        outcome = action.code === 0 ? 'success' : 'failure';
      }
      if (step.id) steps[step.id] = { outputs: action?.outputs ?? {}, outcome };
    } else if (step.run) {
      const stepEnv = Object.fromEntries(
        Object.entries({ ...jobEnv, ...step.env }).map(([k, v]) => [
          k,
          interpolate(v, context(), { ok }),
        ]),
      );
      if (!options.onRun) throw new Error(`no handler for run step in ${name}: ${step.run}`);
      const script = interpolate(step.run, context(), { ok });
      // The files the runner hands every step and reads back: its outputs and its summary.
      const files = await mkdtemp(join(runnerTemp, '_step-'));
      const outputFile = join(files, 'output');
      const summaryFile = join(files, 'summary');
      await writeFile(outputFile, '');
      await writeFile(summaryFile, '');
      outcome = await options.onRun(
        { ...step, run: script },
        name,
        {
          ...options.env,
          GITHUB_EVENT_NAME: options.eventName,
          GITHUB_EVENT_PATH: eventPath,
          GITHUB_RUN_ID: options.runId,
          GITHUB_WORKSPACE: workspace,
          RUNNER_TEMP: runnerTemp,
          GITHUB_OUTPUT: outputFile,
          GITHUB_STEP_SUMMARY: summaryFile,
          ...stepEnv,
        },
        workspace,
      );
      summary = await readFile(summaryFile, 'utf8');
      if (step.id)
        steps[step.id] = { outputs: stepOutputs(await readFile(outputFile, 'utf8')), outcome };
      await rm(files, { recursive: true, force: true });
    } else {
      throw new Error(`${name}: step ${uses} is not one this runner knows`);
    }
    stepResults.push({ step, outcome, action, ...(summary === undefined ? {} : { summary }) });
    if (outcome === 'failure' && !step['continue-on-error']) ok = false;
  }
  const outputs = Object.fromEntries(
    Object.entries(job.outputs ?? {}).map(([k, v]) => [k, interpolate(v, context())]),
  );
  return { result: ok ? 'success' : 'failure', steps: stepResults, outputs, workspace };
}
