/**
 * The refresh step of mlops-data-refresh.yml, run by bash as the runner runs
 * it, against a real repository with a local data remote and the pipeline
 * checked out where the workflow puts it: unchanged data sets changed=false
 * and says in the summary that no pull request is opened.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pushData } from '../../pipeline/data/sync.js';
import { mlopsDataRefresh } from '../../workflows/mlops-data-refresh.js';
import { PIPELINE_DIR } from '../../workflows/steps.js';

const run = promisify(execFile);
const ROWS = 'x,label\n1,a\n2,b\n3,a\n';
let dir: string;
let temp: string;

async function git(...args: string[]): Promise<void> {
  await run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
}

async function refreshStep(): Promise<{ output: string; summary: string }> {
  const step = mlopsDataRefresh.jobs['refresh']!.steps.find((s) => s.id === 'refresh')!;
  const output = join(temp, 'output');
  const summary = join(temp, 'summary');
  await writeFile(output, '');
  await writeFile(summary, '');
  await run('bash', ['-e', '-c', step.run!], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'],
      HOME: process.env['HOME'],
      RUNNER_TEMP: temp,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: summary,
    },
  });
  return { output: await readFile(output, 'utf8'), summary: await readFile(summary, 'utf8') };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'refresh-step-'));
  temp = await mkdtemp(join(tmpdir(), 'refresh-runner-'));
  await git('init', '-q');
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, '.mlops'));
  await symlink(resolve('.'), join(dir, PIPELINE_DIR));
  await writeFile(join(dir, '.gitignore'), '/.mlops/\n/new.csv\n/store/\n');
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = local\n[\'remote "local"\']\n    url = ../store\n',
  );
  await writeFile(join(dir, 'data', 'rows.csv'), ROWS);
  await writeFile(
    join(dir, 'mlops.yaml'),
    [
      'data:',
      '  pointer: data/rows.csv.dvc',
      '  target: label',
      '  features: [{ name: x, type: numeric }]',
      '  refresh: { run: "cp new.csv data/rows.csv", output: data/rows.csv }',
      'model: { task: classification }',
      '',
    ].join('\n'),
  );
  const ws = await openWorkspace(dir);
  await addData(ws, join(dir, 'data', 'rows.csv'));
  await pushData(ws, await resolveTargets(ws, []));
  await git('add', '-A');
  await git('commit', '-q', '-m', 'data');
});

afterEach(async () => {
  for (const d of [dir, temp]) await rm(d, { recursive: true, force: true });
});

describe('mlops-data-refresh.yml refresh step', () => {
  it('unchanged data: changed=false, and the summary says no pull request', async () => {
    await writeFile(join(dir, 'new.csv'), ROWS);
    const r = await refreshStep();
    expect(r.output).toBe('changed=false\n');
    expect(r.summary).toContain('the data is unchanged, no pull request');
  });

  it('changed data: changed=true and the pointer is modified for the pull request step', async () => {
    await writeFile(join(dir, 'new.csv'), `${ROWS}4,b\n`);
    const r = await refreshStep();
    expect(r.output).toBe('changed=true\n');
    expect(r.summary).toBe('');
    expect(await readFile(join(temp, 'refresh.txt'), 'utf8')).toMatch(/changed: .* rows 3 → 4/);
    const { stdout } = await run('git', ['diff', '--name-only'], { cwd: dir });
    expect(stdout).toBe('data/rows.csv.dvc\n');
  });
});
