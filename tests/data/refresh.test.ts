/**
 * `mlops data refresh` with real command scripts in a temporary repository:
 * changed or unchanged data, and every failure leaving the old data and pointer.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../pipeline/config/load.js';
import { addData, openWorkspace } from '../../pipeline/data/dvc/workspace.js';
import { refreshData } from '../../pipeline/data/refresh.js';

const run = promisify(execFile);
const MLOPS = resolve('bin/mlops.js');
const ENV = { PATH: process.env['PATH'], HOME: process.env['HOME'] };
let dir: string;

const OLD = 'x,label\n1,a\n2,b\n3,a\n';
const NEW = 'x,label\n1,a\n2,b\n3,a\n4,b\n5,a\n';

async function setup(refresh: string): Promise<void> {
  await writeFile(
    join(dir, 'mlops.yaml'),
    [
      'data:',
      '  pointer: data/rows.csv.dvc',
      '  target: label',
      '  features: [{ name: x, type: numeric }]',
      `  refresh: ${refresh}`,
      'model: { task: classification }',
      '',
    ].join('\n'),
  );
}

async function state(): Promise<{ data: string; pointer: string }> {
  return {
    data: await readFile(join(dir, 'data', 'rows.csv'), 'utf8'),
    pointer: await readFile(join(dir, 'data', 'rows.csv.dvc'), 'utf8'),
  };
}

async function mlops(...args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    const { stderr } = await run('node', [MLOPS, ...args], { cwd: dir });
    return { code: 0, stderr };
  } catch (error) {
    const e = error as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'data-refresh-'));
  await run('git', ['init', '-q'], { cwd: dir });
  await mkdir(join(dir, '.dvc'));
  await mkdir(join(dir, 'data'));
  await mkdir(join(dir, 'scripts'));
  await writeFile(join(dir, '.dvc', 'config'), '');
  await writeFile(join(dir, 'data', 'rows.csv'), OLD);
  await writeFile(join(dir, 'scripts', 'new.csv'), NEW);
  await writeFile(join(dir, 'scripts', 'old.csv'), OLD);
  await addData(await openWorkspace(dir), join(dir, 'data', 'rows.csv'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('mlops data refresh', () => {
  it('records changed data under the pointer and says what changed', async () => {
    await setup('{ run: "cp scripts/new.csv data/rows.csv", output: data/rows.csv }');
    const before = await state();
    const r = await mlops('data', 'refresh');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/changed: [0-9a-f]{32} → [0-9a-f]{32}, rows 3 → 5/);
    const after = await state();
    expect(after.data).toBe(NEW);
    expect(after.pointer).not.toBe(before.pointer);
  });

  it('says unchanged and leaves the pointer when the command writes the same data', async () => {
    await setup('{ run: "cp scripts/old.csv data/rows.csv", output: data/rows.csv }');
    const before = await state();
    const r = await mlops('data', 'refresh');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/unchanged \(md5 [0-9a-f]{32}, 3 rows\)/);
    expect(await state()).toEqual(before);
  });

  it('runs the command with only PATH and HOME in its environment', async () => {
    await setup(
      '{ run: "test -z \\"$SECRET\\" && cp scripts/new.csv data/rows.csv", output: data/rows.csv }',
    );
    process.env['SECRET'] = 'leaked';
    try {
      const r = await refreshData(await loadConfig(join(dir, 'mlops.yaml')), { env: ENV });
      expect(r.changed).toBe(true);
    } finally {
      delete process.env['SECRET'];
    }
  });

  it('a failing command exits non-zero naming it, and puts the old data back', async () => {
    await setup(
      '{ run: "echo partial > data/rows.csv; echo upstream down >&2; exit 3", output: data/rows.csv }',
    );
    const before = await state();
    const r = await mlops('data', 'refresh');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('data.refresh.run');
    expect(r.stderr).toContain('exited with status 3');
    expect(r.stderr).toContain('upstream down');
    expect(await state()).toEqual(before);
  });

  it('a command that runs past its timeout is stopped and changes nothing', async () => {
    await setup(
      '{ run: "cp scripts/new.csv data/rows.csv; sleep 5", output: data/rows.csv, timeout: 0.5 }',
    );
    const before = await state();
    await expect(
      refreshData(await loadConfig(join(dir, 'mlops.yaml')), { env: ENV }),
    ).rejects.toThrow(/did not finish within 0.5 s/);
    expect(await state()).toEqual(before);
  });

  it('output that is not a valid dataset is refused, naming the file and column', async () => {
    await setup('{ run: "printf \'y,label\\n1,a\\n\' > data/rows.csv", output: data/rows.csv }');
    const before = await state();
    const r = await mlops('data', 'refresh');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('data/rows.csv: has no column "x"');
    expect(await state()).toEqual(before);
  });

  it('a command that writes no file is refused and the pointer stays', async () => {
    await setup('{ run: "rm data/rows.csv", output: data/rows.csv }');
    const before = await state();
    const r = await mlops('data', 'refresh');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'data.refresh.output "data/rows.csv": the command wrote no file there',
    );
    expect(await state()).toEqual(before);
  });

  it('output outside the repository is refused before the command runs', async () => {
    await setup('{ run: "touch ran", output: ../elsewhere.csv }');
    const before = await state();
    const r = await mlops('data', 'refresh');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('data.refresh.output "../elsewhere.csv"');
    expect(await state()).toEqual(before);
    await expect(readFile(join(dir, 'ran'))).rejects.toThrow();
  });
});
