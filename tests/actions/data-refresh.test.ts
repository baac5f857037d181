/**
 * data-refresh.yml run as GitHub would (it calls mlops-data-refresh.yml), its
 * shell steps run by bash with the pipeline under test, against a repository
 * whose origin is a bare git repository on disk, a DVC remote in a local folder
 * and the GitHub API stand-in. New data opens one "Data refresh" pull request
 * from mlops/data-refresh; newer data moves the branch and updates that pull
 * request, never a second one; unchanged data calls no API at all; and a
 * drift-alert from monitoring puts its evidence in the pull request's body.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pushData } from '../../pipeline/data/sync.js';
import { dataRefresh } from '../../workflows/data-refresh.js';
import type { Step } from '../../workflows/types.js';
import {
  baseRepository,
  repositoryDispatchEvent,
  workflowDispatchEvent,
} from './helpers/events.js';
import { startGitHubServer, type GitHubServer } from './helpers/github-server.js';
import { REPO_ROOT } from './helpers/run-action.js';
import { runWorkflow, type JobResult } from './helpers/workflow-runner.js';

const exec = promisify(execFile);
const TOKEN = 'ghs_data_refresh';
const BRANCH = 'mlops/data-refresh';
const JOB = 'refresh / refresh';
const ROWS = 'x,label\n1,a\n2,b\n3,a\n';

const git = (cwd: string, ...args: string[]) =>
  exec('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@example.org', ...args], {
    cwd,
  }).then(({ stdout }) => stdout.trim());

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

/** What the workflow's shell steps do on a runner, run here with the pipeline under test. */
async function shell(step: Step, _job: string, env: Record<string, string>, workspace: string) {
  const script = step.run!;
  // The dependencies are this checkout's already.
  if (script === 'npm ci') return 'success' as const;
  const command = script.replaceAll('.mlops/pipeline/', `${REPO_ROOT}/`);
  try {
    await exec('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', command], {
      cwd: workspace,
      env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', ...env },
    });
    return 'success' as const;
  } catch (error) {
    throw new Error(`${step.name ?? command} failed: ${String(error)}`, { cause: error });
  }
}

describe('data-refresh.yml against a bare origin, a local DVC remote and the API stand-in', () => {
  let scratch: string;
  let origin: string;
  let source: string;
  let incoming: string;
  let store: string;
  let artifactDir: string;
  let github: GitHubServer;
  let runs = 0;
  let gitConfig = '';
  const payload = workflowDispatchEvent({});
  const repo = baseRepository(payload);

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'mlops-data-refresh-'));
    artifactDir = join(scratch, 'artifacts');
    origin = join(scratch, 'origin.git');
    incoming = join(scratch, 'incoming.csv');
    store = join(scratch, 'dvc-store');
    const first = join(scratch, 'first');
    await git(scratch, 'init', '-q', '--bare', '-b', 'main', origin);
    await git(scratch, 'init', '-q', '-b', 'main', first);
    await mkdir(join(first, '.dvc'));
    await mkdir(join(first, 'data'));
    await writeFile(
      join(first, '.dvc', 'config'),
      `[core]\n    remote = local\n['remote "local"']\n    url = ${store}\n`,
    );
    await writeFile(join(first, 'data', 'rows.csv'), ROWS);
    await writeFile(
      join(first, 'mlops.yaml'),
      [
        'data:',
        '  pointer: data/rows.csv.dvc',
        '  target: label',
        '  features: [{ name: x, type: numeric }]',
        // The team's ingest command: here, the file the test puts new data in.
        `  refresh: { run: "cp ${incoming} data/rows.csv", output: data/rows.csv }`,
        'model: { task: classification }',
        '',
      ].join('\n'),
    );
    const ws = await openWorkspace(first);
    await addData(ws, join(first, 'data', 'rows.csv'));
    await pushData(ws, await resolveTargets(ws, []));
    await git(first, 'add', '-A');
    await git(first, 'commit', '-q', '-m', 'data');
    await git(first, 'push', '-q', origin, 'main');
    // What actions/checkout gives: a clone of origin, the data not in it (the job pulls it).
    source = join(scratch, 'clone');
    await git(scratch, 'clone', '-q', origin, source);
    github = await startGitHubServer({
      repo,
      tokens: { [TOKEN]: { login: null, actor: 'github-actions[bot]', pullRequestsWrite: true } },
    });
  });
  afterAll(async () => {
    await github?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  async function refresh(rows: string, event = { name: 'workflow_dispatch', payload }) {
    await writeFile(incoming, rows);
    const run = await runWorkflow(dataRefresh, {
      source,
      eventName: event.name,
      payload: event.payload,
      token: TOKEN,
      runId: String(++runs + 9_000),
      artifacts: new Map(),
      artifactDir,
      env: { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: repo, GITHUB_REF: 'refs/heads/main' },
      onRun: shell,
      afterJob: async (_name, job) => {
        // The token pushed the branch and stayed nowhere in the checkout for later steps.
        gitConfig = await readFile(join(job.workspace!, '.git', 'config'), 'utf8');
      },
    });
    const job = run[JOB]!;
    expect(job.result, explain(job)).toBe('success');
    return job;
  }

  const explain = (job: JobResult) =>
    job.steps
      .map(
        (s) =>
          `${s.step.name ?? s.step.uses}: ${s.outcome} ${s.action?.stderr ?? ''}${s.action?.stdout ?? ''}`,
      )
      .join('\n');
  const proposed = (job: JobResult) =>
    job.steps.find((s) => s.step.name === 'Open or update the data refresh pull request')!;
  const calls = (operationId: string) =>
    github.requests.filter((r) => r.operationId === operationId).length;
  const inStore = (hash: string) => join(store, 'files', 'md5', hash.slice(0, 2), hash.slice(2));
  const branchPointer = async () =>
    parse(await git(origin, 'show', `${BRANCH}:data/rows.csv.dvc`)) as { outs: { md5: string }[] };

  it('new data: one pull request from mlops/data-refresh, with the new pointer pushed to origin', async () => {
    const rows = `${ROWS}4,b\n`;
    const job = await refresh(rows);
    const propose = proposed(job).action!;
    expect(propose.code, propose.stdout).toBe(0);
    expect(propose.outputs['result']).toBe('created');
    expect(calls('pulls/create')).toBe(1);
    expect((await branchPointer()).outs[0]!.md5).toBe(md5(rows));
    // The data itself went to the DVC remote, where the pull request's pipeline pulls it.
    expect(await readFile(inStore(md5(rows)), 'utf8')).toBe(rows);
    // The branch is one commit on main with the pointer only.
    expect(await git(origin, 'diff', '--name-only', `main...${BRANCH}`)).toBe('data/rows.csv.dvc');
    const [pull] = github.pulls();
    expect(pull).toMatchObject({
      number: Number(propose.outputs['pr-number']),
      title: 'Data refresh',
      headRef: BRANCH,
      base: 'main',
    });
    expect(pull!.body).toContain('Fresh data from `mlops data refresh`');
    expect(pull!.body).toMatch(/rows 3 → 4/);
    expect(propose.summary).toContain(`pull request [#${pull!.number}]`);
    expect(propose.masks).toContain(TOKEN);
    expect(gitConfig).not.toContain(TOKEN);
    expect(gitConfig).not.toMatch(/extraheader/i);
    expect(github.violations).toEqual([]);
  });

  it('newer data: the same pull request updated and its branch moved, no second one', async () => {
    const before = await git(origin, 'rev-parse', BRANCH);
    const rows = `${ROWS}4,b\n5,a\n`;
    const job = await refresh(rows);
    expect(proposed(job).action!.outputs['result']).toBe('updated');
    expect(calls('pulls/create')).toBe(1);
    expect(calls('pulls/update')).toBe(1);
    expect(github.pulls()).toHaveLength(1);
    expect(github.pulls()[0]!.body).toMatch(/rows 3 → 5/);
    expect(await git(origin, 'rev-parse', BRANCH)).not.toBe(before);
    expect((await branchPointer()).outs[0]!.md5).toBe(md5(rows));
    expect(github.violations).toEqual([]);
  });

  it('unchanged data: no push, no API call, and the summary says there is no pull request', async () => {
    const before = await git(origin, 'rev-parse', BRANCH);
    const requests = github.requests.length;
    const job = await refresh(ROWS);
    expect(proposed(job).outcome).toBe('skipped');
    expect(github.requests.length).toBe(requests);
    expect(await git(origin, 'rev-parse', BRANCH)).toBe(before);
    const refreshed = job.steps.find((s) => s.step.id === 'refresh')!;
    expect(refreshed.summary).toContain('the data is unchanged, no pull request');
  });

  it('a drift alert from monitoring: its summary lands in the body, after the refresh output, as text', async () => {
    // Markdown a script must never run: the evidence is data, whatever it holds.
    const evidence = [
      '| feature | PSI |',
      '|---|---|',
      '| x | 0.41 |',
      '',
      'Served `$(touch pwned)` and "quotes"; $HOME ${{ github.token }}',
    ].join('\n');
    const event = repositoryDispatchEvent('drift-alert', {
      reason: 'drift',
      summary: evidence,
      alerts: [{ name: 'MlopsFeatureDrift', feature: 'x', value: 0.41, model_version: 'abc123' }],
    });
    const job = await refresh(`${ROWS}4,b\n5,a\n6,b\n`, {
      name: 'repository_dispatch',
      payload: event,
    });
    expect(proposed(job).action!.outputs['result']).toBe('updated');
    expect(calls('pulls/create')).toBe(1);
    const body = github.pulls()[0]!.body!;
    expect(body).toContain(`### Evidence from monitoring (drift)\n\n${evidence}\n`);
    expect(body.indexOf('Evidence from monitoring')).toBeGreaterThan(body.indexOf('rows 3 → 6'));
    expect(github.violations).toEqual([]);
  });
});
