/**
 * The model version is derived from what decides a model: the modules training
 * reaches (followed from its entry points, not listed), the locked versions of
 * the packages they run on, the WebAssembly beside them, the data's md5 and the
 * model-deciding part of the config. Each is changed in a temporary copy of the
 * repository, and code training never reaches is shown not to count.
 */
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trainingCodeHash } from '../../pipeline/package/lineage.js';
import { trainingCode } from '../../pipeline/package/training-code.js';
import { openRun } from '../../pipeline/run/context.js';
import { penguinRows, penguinsProject, tempProject, type TempProject } from '../helpers/project.js';

let code: TempProject;
let base: string;

beforeAll(async () => {
  code = await tempProject(['pipeline', 'tsconfig.json', 'package.json', 'package-lock.json']);
  base = await trainingCodeHash(code.dir);
});
afterAll(() => code?.remove());

/** The code hash of the copy while `change` is applied to it; the copy is restored after. */
async function hashWith(file: string, change: () => Promise<void>): Promise<string> {
  const before = await readFile(code.path(file));
  try {
    await change();
    return await trainingCodeHash(code.dir);
  } finally {
    await writeFile(code.path(file), before);
  }
}

const editSource = (file: string) =>
  hashWith(file, () => appendFile(code.path(file), '\n// edited\n'));

/** The copy's lockfile with the version `install` (e.g. node_modules/seedrandom) resolves to changed. */
const bumpLocked = (install: string) =>
  hashWith('package-lock.json', async () => {
    const lock = JSON.parse(await code.read('package-lock.json')) as {
      packages: Record<string, { version: string }>;
    };
    expect(lock.packages[install], install).toBeDefined();
    lock.packages[install]!.version = '99.0.0';
    await code.write('package-lock.json', JSON.stringify(lock, null, 2));
  });

describe('training code hash', () => {
  it('follows the imports of training to data loading, the contract and the wasm kernel', async () => {
    const { files } = await trainingCode(code.dir);
    expect(Object.keys(files)).toEqual(
      expect.arrayContaining([
        'pipeline/data/load.ts',
        'pipeline/data/contract.ts',
        'pipeline/data/dataset.ts',
        'pipeline/data/split.ts',
        'pipeline/config/schema.ts',
        'pipeline/prepare/preprocess.ts',
        'pipeline/train/train.ts',
        'pipeline/model/wasm/gemm-wasm.ts',
      ]),
    );
    expect(Object.keys(files).filter((f) => /^pipeline\/(serve|deploy|report)\//.test(f))).toEqual(
      [],
    );
  });

  it.each([
    'pipeline/data/load.ts',
    'pipeline/data/contract.ts',
    'pipeline/data/dataset.ts',
    'pipeline/model/wasm/gemm-wasm.ts',
    'pipeline/train/fit.ts',
  ])('changes when %s changes', async (file) => {
    expect(await editSource(file)).not.toBe(base);
  });

  it('changes when a module imported by a new import changes', async () => {
    await code.write('pipeline/data/extra.ts', 'export const EXTRA = 1;\n');
    const imported = await hashWith('pipeline/data/load.ts', async () => {
      await appendFile(
        code.path('pipeline/data/load.ts'),
        "\nexport { EXTRA } from './extra.js';\n",
      );
      const first = await trainingCodeHash(code.dir);
      await writeFile(code.path('pipeline/data/extra.ts'), 'export const EXTRA = 2;\n');
      expect(await trainingCodeHash(code.dir)).not.toBe(first);
    });
    expect(imported).not.toBe(base);
  });

  it('changes when a WebAssembly module beside the training code changes', async () => {
    const wasm = 'pipeline/model/wasm/kernel.wasm';
    await code.write(wasm, new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]));
    const added = await trainingCodeHash(code.dir);
    expect(added).not.toBe(base);
    await code.write(wasm, new Uint8Array([0, 97, 115, 109, 1, 0, 0, 1]));
    expect(await trainingCodeHash(code.dir)).not.toBe(added);
    await rm(code.path(wasm));
    expect(await trainingCodeHash(code.dir)).toBe(base);
  });

  it.each([
    'node_modules/@tensorflow/tfjs-core',
    'node_modules/@tensorflow/tfjs-layers',
    'node_modules/@tensorflow/tfjs-backend-wasm',
    'node_modules/@duckdb/node-api',
    // Not imported by us: tfjs-core depends on it.
    'node_modules/long',
  ])('changes when the lockfile resolves %s to another version', async (install) => {
    expect(await bumpLocked(install)).not.toBe(base);
  });

  it('stays the same when code or packages training never reaches change', async () => {
    for (const file of [
      'pipeline/deploy/deploy.ts',
      'pipeline/serve/server.ts',
      'pipeline/report/markdown.ts',
    ])
      expect(await editSource(file), file).toBe(base);
    expect(await bumpLocked('node_modules/fastify')).toBe(base);
    expect(await trainingCodeHash(code.dir)).toBe(base);
  });
});

describe('model version', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await penguinsProject();
  });
  afterAll(() => project?.remove());

  it('changes with the data md5 and a model-deciding key, not with a gate', async () => {
    const config = project.path('mlops.yaml');
    const { version } = await openRun(config);
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    expect((await openRun(config, ['model.learning_rate=0.02'])).version).not.toBe(version);
    expect((await openRun(config, ['split.seed=7'])).version).not.toBe(version);
    expect((await openRun(config, ['gates.accuracy.min=0.96'])).version).toBe(version);
    const rows = await penguinRows();
    await project.writeDataset('data/fewer.json', JSON.stringify(rows.slice(0, 300)), 'fewer.dvc');
    expect((await openRun(config, ['data.pointer=fewer.dvc'])).version).not.toBe(version);
  });
});
