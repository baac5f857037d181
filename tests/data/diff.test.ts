/**
 * `mlops data diff` and `mlops run --data-base` in a real git repository with a
 * local DVC remote: the base revision's data is pulled from the remote and
 * compared with the workspace.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { simpleGit } from 'simple-git';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pushData } from '../../pipeline/data/sync.js';

const run = promisify(execFile);
const MLOPS = resolve('bin/mlops.js');
let dir: string;

async function mlops(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [MLOPS, ...args], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function csv(rows: { id: number; x: number; color: string; label: string }[]): string {
  return (
    ['id,x,color,label', ...rows.map((r) => `${r.id},${r.x},${r.color},${r.label}`)].join('\n') +
    '\n'
  );
}

const base = Array.from({ length: 200 }, (_, i) => ({
  id: i,
  x: (i * 37) % 100,
  color: i % 3 ? 'red' : 'blue',
  label: i % 2 ? 'yes' : 'no',
}));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-diff-'));
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data'));
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = local\n[\'remote "local"\']\n    url = ../store\n',
  );
  await writeFile(
    join(dir, 'mlops.yaml'),
    [
      'name: diff-test',
      'data:',
      '  pointer: data/d.csv.dvc',
      '  target: label',
      '  id: id',
      '  features:',
      '    - { name: x, type: numeric }',
      '    - { name: color, type: categorical }',
      '  drift: { psi: 0.2, ks_pvalue: 0.05 }',
      'model: { task: classification, kind: linear, epochs: 3 }',
      '',
    ].join('\n'),
  );
  await writeFile(join(dir, 'data', 'd.csv'), csv(base));
  const git = simpleGit({ baseDir: dir });
  await git.init().addConfig('user.email', 'ci@example.com').addConfig('user.name', 'CI');
  const ws = await openWorkspace(dir);
  await addData(ws, join(dir, 'data', 'd.csv'));
  await pushData(ws, await resolveTargets(ws, []));
  await git.add('.').commit('data v1');
  // v2: rows 0–9 removed, rows 10–19 changed, 30 rows added, x shifted up for all.
  const v2 = [
    ...base.slice(10).map((r) => ({ ...r, x: r.x + 40, color: r.id < 20 ? 'green' : r.color })),
    ...Array.from({ length: 30 }, (_, i) => ({
      id: 1000 + i,
      x: 120 + i,
      color: 'red',
      label: 'yes',
    })),
  ];
  await writeFile(join(dir, 'data', 'd.csv'), csv(v2));
  await addData(ws, join(dir, 'data', 'd.csv'));
  // The base data now exists only in the remote.
  await rm(join(dir, '.dvc', 'cache'), { recursive: true });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('data diff against a git revision', () => {
  it('reports rows added, removed and changed by id, schema and flagged drift', async () => {
    const { code, stdout } = await mlops('data', 'diff', 'HEAD');
    expect(code).toBe(0);
    expect(stdout).toContain('| added | 30 |');
    expect(stdout).toContain('| removed | 10 |');
    // Every kept row changed: x moved by 40 (and color for ids 10–19).
    expect(stdout).toContain('| changed | 190 |');
    expect(stdout).toContain('Rows are matched by `id`.');
    expect(stdout).toMatch(
      /\| x \| numeric \| [\d.]+ \| [\d.]+ \| [\de.-]+ \| ⚠️ PSI [\d.]+ > 0\.2; KS p/,
    );
    expect(stdout).toContain('No column was added, removed or retyped.');
  });

  it('says the data is unchanged when the pointer is', async () => {
    await writeFile(join(dir, 'same.txt'), 'x');
    const { stdout } = await mlops('data', 'diff', 'HEAD', '-c', 'mlops.yaml');
    expect(stdout).toContain('### ⚠️ Data changes');
    const git = simpleGit({ baseDir: dir });
    await git.add('.').commit('data v2');
    expect((await mlops('data', 'diff', 'HEAD')).stdout).toContain(
      'The data is the same as at `HEAD`',
    );
    await git.reset(['--soft', 'HEAD~1']);
  });

  it('names a revision that does not exist, with exit status 2', async () => {
    const { code, stderr } = await mlops('data', 'diff', 'no-such-branch');
    expect(code).toBe(2);
    expect(stderr).toContain('git revision "no-such-branch" does not exist');
  });

  it('mlops run --data-base puts the section in the report', async () => {
    const { code, stderr } = await mlops('run', '-q', '--data-base', 'HEAD');
    expect(stderr).not.toContain('internal error');
    expect([0, 1]).toContain(code);
    const report = await readFile(join(dir, 'reports', 'report.md'), 'utf8');
    expect(report).toContain('Data changes against `HEAD`');
    expect(report).toContain('| added | 30 |');
    // One heading for the section: the report gives it the section's own, not a second.
    expect(report.match(/^#+ .*Data changes.*$/gm)).toEqual(['### ⚠️ Data changes against `HEAD`']);
  });
});
