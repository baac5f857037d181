/**
 * The data commands as a user runs them: every bad input gets a message naming
 * the thing, exit status 2 (1 for status out of sync), and loses nothing.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { readDataset } from '../../pipeline/data/dataset.js';
import { loadTable } from '../../pipeline/data/load.js';
import { addData, openWorkspace, resolveTargets } from '../../pipeline/data/dvc/workspace.js';
import { pushData } from '../../pipeline/data/sync.js';
import { PipelineError } from '../../pipeline/errors.js';

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

const ROWS =
  'id,x,label\n1,0.5,a\n2,1.5,b\n3,2.5,a\n4,3.5,b\n5,4.5,a\n6,5.5,b\n7,6.5,a\n8,7.5,b\n9,8.5,a\n10,9.5,b\n';

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-cli-'));
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data'));
  await writeFile(
    join(dir, '.dvc', 'config'),
    '[core]\n    remote = local\n[\'remote "local"\']\n    url = ../store\n',
  );
  await writeFile(join(dir, 'data', 'rows.csv'), ROWS);
});

/** Setup through the library; the CLI is spawned only for what a test checks. */
async function addAndPush(push = true): Promise<void> {
  const ws = await openWorkspace(dir);
  await addData(ws, join(dir, 'data', 'rows.csv'));
  if (push) await pushData(ws, await resolveTargets(ws, []));
}

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops data: bad input', () => {
  it('pull refuses to overwrite local changes, and keeps them', async () => {
    await addAndPush();
    await writeFile(join(dir, 'data', 'rows.csv'), 'my edits\n');
    const status = await mlops('data', 'status');
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/^modified\s+data\/rows\.csv \(now [0-9a-f]{32}\)/);
    const pull = await mlops('data', 'pull');
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain('data/rows.csv: has local changes');
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe('my edits\n');
    expect((await mlops('data', 'pull', '--force')).code).toBe(0);
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
  });

  it('pull names a corrupt object in a local remote and writes nothing into the workspace', async () => {
    await addAndPush();
    const objectDir = join(dir, 'store', 'files', 'md5');
    const [prefix] = await readdir(objectDir);
    const [rest] = await readdir(join(objectDir, prefix!));
    await writeFile(join(objectDir, prefix!, rest!), 'tampered');
    await rm(join(dir, '.dvc', 'cache'), { recursive: true });
    await rm(join(dir, 'data', 'rows.csv'));
    const pull = await mlops('data', 'pull', '-j', '1');
    expect(pull.code).toBe(2);
    expect(pull.stderr).toContain(`store/files/md5/${prefix}/${rest}: corrupt object`);
    expect(await readdir(join(dir, 'data'))).toEqual(['.gitignore', 'rows.csv.dvc']);
  });

  it('names an unknown remote, a missing path, a bad --jobs and a broken pointer', async () => {
    await addAndPush(false);
    const remote = await mlops('data', 'push', '-r', 'nope');
    expect([remote.code, remote.stderr]).toEqual([
      2,
      expect.stringContaining('DVC remote "nope" is not in .dvc/config'),
    ]);
    const add = await mlops('data', 'add', 'data/absent.csv');
    expect([add.code, add.stderr]).toEqual([
      2,
      expect.stringContaining('data/absent.csv: does not exist'),
    ]);
    const jobs = await mlops('data', 'pull', '--jobs', '0');
    expect([jobs.code, jobs.stderr]).toEqual([
      2,
      expect.stringContaining('--jobs 0: expected an integer from 1 to 64'),
    ]);
    const pointer = join(dir, 'data', 'rows.csv.dvc');
    await writeFile(pointer, 'outs:\n- md5: 123\n');
    const broken = await mlops('data', 'status');
    expect([broken.code, broken.stderr]).toEqual([
      2,
      expect.stringContaining('rows.csv.dvc: outs.0.md5'),
    ]);
  });

  it('says when there is no DVC repository or the remote is unreadable', async () => {
    await rm(join(dir, '.dvc'), { recursive: true });
    const none = await mlops('data', 'status');
    expect([none.code, none.stderr]).toEqual([
      2,
      expect.stringContaining('not inside a DVC repository'),
    ]);
    await mkdir(join(dir, '.dvc'));
    await writeFile(join(dir, '.dvc', 'config'), '[\'remote "x"\']\n    region = eu\n');
    const nourl = await mlops('data', 'status');
    expect([nourl.code, nourl.stderr]).toEqual([
      2,
      expect.stringContaining('remote "x" has no url'),
    ]);
  });
});

describe('mlops data: a pointer named apart from its data', () => {
  // The repository's own layout: data.dvc at the root tracks data/penguins.json.
  async function rootPointer(): Promise<void> {
    await addAndPush(false);
    const own = join(dir, 'data', 'rows.csv.dvc');
    const text = await readFile(own, 'utf8');
    await writeFile(join(dir, 'data.dvc'), text.replace('path: rows.csv', 'path: data/rows.csv'));
    await rm(own);
  }

  it('add of changed data updates the pointer that tracks it, as the stale-data hint says', async () => {
    await rootPointer();
    await writeFile(join(dir, 'data', 'rows.csv'), `${ROWS}11,10.5,b\n`);
    const add = await mlops('data', 'add', 'data/rows.csv');
    expect([add.code, add.stderr]).toEqual([
      0,
      expect.stringMatching(/^add\s+data\.dvc: md5 [0-9a-f]{32}, 102 bytes/),
    ]);
    expect(await readdir(join(dir, 'data'))).not.toContain('rows.csv.dvc');
    expect(await readFile(join(dir, 'data.dvc'), 'utf8')).toMatch(
      /size: 102\n.*\n {2}path: data\/rows\.csv\n/s,
    );
    const status = await mlops('data', 'status');
    expect([status.code, status.stdout]).toEqual([
      0,
      expect.stringMatching(/^in sync\s+data\/rows\.csv\n$/),
    ]);
  });

  it('status takes the data path itself as a target', async () => {
    await rootPointer();
    const status = await mlops('data', 'status', 'data/rows.csv');
    expect([status.code, status.stdout]).toEqual([
      0,
      expect.stringMatching(/^in sync\s+data\/rows\.csv\n$/),
    ]);
  });
});

describe('loading', () => {
  it('a run whose data is missing pulls it from the remote first', async () => {
    await writeFile(
      join(dir, 'mlops.yaml'),
      'data:\n  pointer: data/rows.csv.dvc\n  target: label\n  features: [{ name: x, type: numeric }]\nmodel: { task: classification }\n',
    );
    await addAndPush();
    await rm(join(dir, 'data', 'rows.csv'));
    await rm(join(dir, '.dvc', 'cache'), { recursive: true });
    const dataset = await readDataset(await loadConfig(join(dir, 'mlops.yaml')));
    expect(dataset.table.rowCount).toBe(10);
    expect(await readFile(join(dir, 'data', 'rows.csv'), 'utf8')).toBe(ROWS);
  });

  it('a missing file that cannot be pulled says both', async () => {
    await writeFile(
      join(dir, 'mlops.yaml'),
      'data:\n  pointer: data/rows.csv.dvc\n  target: label\n  features: [{ name: x, type: numeric }]\nmodel: { task: classification }\n',
    );
    await addAndPush(false);
    await rm(join(dir, 'data', 'rows.csv'));
    await rm(join(dir, '.dvc', 'cache'), { recursive: true });
    const error = await readDataset(await loadConfig(join(dir, 'mlops.yaml'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toMatch(
      /data\/rows\.csv: missing \(named by data\/rows\.csv\.dvc\), and pulling it failed: .*not in the remote/,
    );
  });

  it('a dataset over the memory budget fails with a message, not a crash', async () => {
    const error = await loadTable(
      join(dir, 'data', 'rows.csv'),
      'csv',
      [{ name: 'x', type: 'numeric' }],
      'rows.csv',
      {
        maxBytes: 50,
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toMatch(
      /rows\.csv: too large for memory: 10 rows of 1 columns need about/,
    );
  });
});
