/**
 * Run a workflow's jobs the way GitHub would, on this machine: jobs in the order
 * their `needs` allow, each in a fresh checkout, `if:` conditions and `${{ }}`
 * evaluated, this repository's actions run from their bundles with their
 * action.yml defaults, and artifacts moved between jobs by upload-artifact and
 * download-artifact as those actions lay them out (an artifact's root is the
 * folder its files share). Third-party setup steps are no-ops here.
 */
import { cp, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import type { Job, Step, Workflow } from '../../../workflows/types.js';
import { writeEvent } from './events.js';
import { condition, interpolate } from './expressions.js';
import { REPO_ROOT, runAction, type ActionRun } from './run-action.js';

export interface StepResult {
  step: Step;
  outcome: 'success' | 'failure' | 'skipped';
  action?: ActionRun;
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
  /** What a `run:` step does here; by default running one is an error. */
  onRun?: (step: Step, job: string, env: Record<string, string>) => 'success' | 'failure';
  jobs?: string[];
  /** Called when a job finishes; its workspace is removed afterwards. */
  afterJob?: (name: string, job: JobResult) => Promise<void> | void;
}

function order(jobs: Record<string, Job>): string[] {
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
    for (const name of order(workflow.jobs)) {
      const job = workflow.jobs[name]!;
      const needs = Object.fromEntries(
        (job.needs ?? []).map((n) => [
          n,
          { result: results[n]!.result, outputs: results[n]!.outputs },
        ]),
      );
      const workspace = join(temp, name, 'workspace');
      const runnerTemp = join(temp, name, 'runner-temp');
      await mkdir(runnerTemp, { recursive: true });
      const steps: Record<string, { outputs: Record<string, string>; outcome: string }> = {};
      const context = () => ({
        github: {
          token: options.token,
          event_name: options.eventName,
          event: options.payload,
          repository: options.env['GITHUB_REPOSITORY'],
          ref: options.env['GITHUB_REF'],
          run_id: options.runId,
          workspace,
        },
        runner: { temp: runnerTemp, os: 'Linux' },
        needs,
        steps,
        inputs: (options.payload['inputs'] as Record<string, unknown>) ?? {},
        env: {},
        secrets: {},
        vars: {},
      });
      const needsOk = (job.needs ?? []).every((n) => results[n]!.result === 'success');
      const selected = !options.jobs || options.jobs.includes(name);
      if (!selected || !condition(job.if, context(), { ok: needsOk })) {
        results[name] = { result: 'skipped', steps: [], outputs: {} };
        continue;
      }
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
        const uses = step.uses ?? '';
        if (uses.startsWith('actions/checkout@')) {
          await cp(options.source, workspace, { recursive: true, verbatimSymlinks: true });
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
        } else if (uses.startsWith('./actions/')) {
          const actionName = uses.slice('./actions/'.length);
          const defaults = await actionDefaults(actionName);
          const inputs = Object.fromEntries(
            Object.entries(defaults).map(([k, v]) => [k, interpolate(v, context())]),
          );
          action = await runAction(actionName, {
            workspace,
            inputs: { ...inputs, ...w },
            env: {
              ...options.env,
              GITHUB_EVENT_NAME: options.eventName,
              GITHUB_EVENT_PATH: eventPath,
              GITHUB_RUN_ID: options.runId,
              RUNNER_TEMP: runnerTemp,
            },
          });
          outcome = action.code === 0 ? 'success' : 'failure';
          if (step.id) steps[step.id] = { outputs: action.outputs, outcome };
        } else if (step.run) {
          const stepEnv = Object.fromEntries(
            Object.entries(step.env ?? {}).map(([k, v]) => [k, interpolate(v, context(), { ok })]),
          );
          if (!options.onRun) throw new Error(`no handler for run step in ${name}: ${step.run}`);
          outcome = options.onRun(step, name, stepEnv);
        } else {
          throw new Error(`${name}: step ${uses} is not one this runner knows`);
        }
        stepResults.push({ step, outcome, action });
        if (outcome === 'failure' && !step['continue-on-error']) ok = false;
      }
      const outputs = Object.fromEntries(
        Object.entries(job.outputs ?? {}).map(([k, v]) => [k, interpolate(v, context())]),
      );
      results[name] = {
        result: ok ? 'success' : 'failure',
        steps: stepResults,
        outputs,
        workspace,
      };
      await options.afterJob?.(name, results[name]!);
    }
    return results;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
