/**
 * `mlops registry fetch --to DIR` writes only into a new or empty folder, or
 * finds the model there already; it never deletes or replaces what it did not
 * write, and leaves no temporary folder behind whatever happens.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { loadBundle } from '../../pipeline/model/load.js';
import { LocalStore } from '../../pipeline/storage/local.js';
import { fetchVersion, registerBundle } from '../../pipeline/registry/registry.js';
import { trainPenguins, type TrainedModel } from '../support/trained-penguins.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/mlops.js', import.meta.url));
let model: TrainedModel;
let tmp: string;
let registry: string;

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function mlops(args: string[], cwd = process.cwd()): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'registry', ...args], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as Outcome;
    return { code, stdout, stderr };
  }
}

/** Temporary folders a fetch may have left: `.NAME.xxxx.new` beside or inside the target. */
async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /\.(new|old)$/.test(name));
}

beforeAll(async () => {
  model = await trainPenguins(['split.seed=1']);
  tmp = await mkdtemp(join(tmpdir(), 'mlops-fetch-'));
  registry = join(tmp, 'registry');
  await registerBundle(new LocalStore(registry), model.modelDir);
});

afterAll(async () => {
  await model?.cleanup();
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe('mlops registry fetch --to', () => {
  it("refuses a folder holding a user's file (exit 2, naming both) and the file survives", async () => {
    const dir = join(tmp, 'user');
    await mkdir(join(dir, 'drafts'), { recursive: true });
    await writeFile(join(dir, 'notes.txt'), 'precious\n');
    const result = await mlops(['fetch', model.version, '--to', dir, '--registry', registry]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `error: ${dir}: holds drafts/, notes.txt, not model ${model.version}; a fetch writes only into a new or empty folder, so nothing was written or deleted`,
    );
    expect(result.stderr).not.toContain('internal error');
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('precious\n');
    expect((await readdir(dir)).sort()).toEqual(['drafts', 'notes.txt']);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it('refuses `--to .` in a non-empty current folder with exit 2, leaving no *.new behind', async () => {
    const cwd = join(tmp, 'work');
    await mkdir(cwd);
    await writeFile(join(cwd, 'mine.txt'), 'mine\n');
    const result = await mlops(['fetch', model.version, '--to', '.', '--registry', registry], cwd);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(`error: ${cwd}: holds mine.txt, not model ${model.version}`);
    expect(await readdir(cwd)).toEqual(['mine.txt']);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it('refuses a parent of the project, writing nothing into it', async () => {
    const project = join(tmp, 'parent', 'project');
    await mkdir(project, { recursive: true });
    await writeFile(join(project, 'mlops.yaml'), 'name: x\n');
    const result = await mlops(
      ['fetch', model.version, '--to', '..', '--registry', registry],
      project,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(`error: ${join(tmp, 'parent')}: holds project/, not model`);
    expect(await readdir(join(tmp, 'parent'))).toEqual(['project']);
    expect(await readdir(project)).toEqual(['mlops.yaml']);
  });

  it('fills `--to .` when the current folder is empty', async () => {
    const cwd = join(tmp, 'empty-cwd');
    await mkdir(cwd);
    const result = await mlops(['fetch', model.version, '--to', '.', '--registry', registry], cwd);
    expect(result).toMatchObject({ code: 0, stdout: `fetched ${model.version} into .\n` });
    expect((await loadBundle(cwd)).metadata.model_version).toBe(model.version);
    expect(await leftovers(cwd)).toEqual([]);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it('is a no-op (exit 0) into a folder that already holds that model', async () => {
    const dir = join(tmp, 'same');
    const first = await mlops(['fetch', model.version, '--to', dir, '--registry', registry]);
    expect(first).toMatchObject({ code: 0, stdout: `fetched ${model.version} into ${dir}\n` });
    const before = await stat(join(dir, 'weights.bin'));
    const again = await mlops(['fetch', model.version, '--to', dir, '--registry', registry]);
    expect(again).toMatchObject({ code: 0, stdout: `${dir} holds ${model.version} already\n` });
    // Not rewritten: the same file, not a copy of it.
    expect((await stat(join(dir, 'weights.bin'))).ino).toBe(before.ino);
    expect(await leftovers(tmp)).toEqual([]);
  });

  it('refuses a target that is a file and leaves it as it is', async () => {
    const file = join(tmp, 'a-file');
    await writeFile(file, 'keep me\n');
    const result = await mlops(['fetch', model.version, '--to', file, '--registry', registry]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`error: ${file}: a file, not a folder`);
    const under = await mlops([
      'fetch',
      model.version,
      '--to',
      join(file, 'model'),
      '--registry',
      registry,
    ]);
    expect(under.code).toBe(2);
    expect(under.stderr).toContain(
      `error: ${join(file, 'model')}: cannot look at the folder (ENOTDIR: a folder on the way is a file)`,
    );
    expect(await readFile(file, 'utf8')).toBe('keep me\n');
  });
});

describe('fetchVersion', () => {
  it('refuses a folder holding the model and one file more, deleting nothing', async () => {
    const store = new LocalStore(registry);
    const dir = join(tmp, 'model-and-more');
    await fetchVersion(store, model.version, dir);
    await writeFile(join(dir, 'README'), 'my notes\n');
    const error = await fetchVersion(store, model.version, dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('usage');
    expect((error as PipelineError).message).toMatch(
      `${dir}: holds model ${model.version} (README, metadata.json, model.json, preprocess.json, profile.json and 1 more), not model ${model.version}`,
    );
    expect(await readFile(join(dir, 'README'), 'utf8')).toBe('my notes\n');
  });

  it('a failed fetch leaves nothing: no folder, no parent it made, no temporary folder', async () => {
    const root = join(tmp, 'damaged-registry');
    const store = new LocalStore(root);
    await registerBundle(store, model.modelDir);
    await store.write(`versions/${model.version}/files/weights.bin`, 'damaged');
    const base = join(tmp, 'failed');
    await mkdir(base);
    await expect(
      fetchVersion(store, model.version, join(base, 'made', 'for', 'it', 'model')),
    ).rejects.toThrow(/weights\.bin: content does not match the sha256/);
    expect(await readdir(base)).toEqual([]);
    // An empty folder the user made stays, empty.
    const empty = join(base, 'empty');
    await mkdir(empty);
    await expect(fetchVersion(store, model.version, empty)).rejects.toThrow(/does not match/);
    expect(await readdir(empty)).toEqual([]);
    expect(await readdir(base)).toEqual(['empty']);
  });
});
