import { execFileSync } from 'node:child_process';
import { cp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { BUNDLE_FILES, LAYERS_FILE } from '../../pipeline/model/files.js';
import { loadBundle, type ModelBundle } from '../../pipeline/model/load.js';
import { predictRows } from '../../pipeline/predict/predict.js';
import { openRun, TFJS_VERSION, type RunContext } from '../../pipeline/run/context.js';
import { loadCurrentBundle } from '../../pipeline/run/current-bundle.js';
import { trainStage } from '../../pipeline/run/train-stage.js';
import { penguinRows, penguinsProject, type TempProject } from '../helpers/project.js';

let project: TempProject;
let ctx: RunContext;
let trained: ModelBundle;
let commit: string;
let testRows: Record<string, unknown>[];

function git(...args: string[]): string {
  return execFileSync('git', args, { cwd: project.dir, encoding: 'utf8' }).trim();
}

beforeAll(async () => {
  project = await penguinsProject();
  await project.write('.gitignore', 'artifacts/\nreports/\n');
  git('init', '-q');
  git('add', '.');
  git('-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', 'data');
  commit = git('rev-parse', 'HEAD');
  ctx = await openRun(project.path('mlops.yaml'));
  trained = (await trainStage(ctx)).bundle;
  // The test split's rows as a user would send them: feature values, no target.
  const raw = await penguinRows();
  testRows = Array.from(ctx.split.test, (i) => {
    const features = { ...raw[ctx.dataset.table.rowNumbers[i]! - 1]! };
    delete features['Species'];
    return features;
  });
});
afterAll(() => project.remove());

describe('package', () => {
  it('writes the bundle files, and nothing half-written beside them', async () => {
    // Every bundle file but layers.mjs, which only a model with layer classes of its own has.
    expect((await readdir(ctx.paths.model)).sort()).toEqual(
      BUNDLE_FILES.filter((f) => f !== LAYERS_FILE).sort(),
    );
    expect(await readdir(ctx.paths.artifacts)).toEqual(['model']);
    const model = await project.readJson<{
      format: string;
      weightsManifest: { paths: string[] }[];
    }>('artifacts/model/model.json');
    expect(model.format).toBe('layers-model');
    expect(model.weightsManifest[0]!.paths).toEqual(['weights.bin']);
  });

  it('loads back a model that predicts exactly what it predicted before saving', async () => {
    const loaded = await loadBundle(ctx.paths.model);
    const before = predictRows(trained, testRows);
    const after = predictRows(loaded, testRows);
    expect(before.ok).toBe(true);
    expect(after).toEqual(before);
    expect(loaded.preprocess).toEqual(trained.preprocess);
    loaded.network.dispose();
  });

  it('records the version and the lineage in metadata.json', async () => {
    const metadata = await project.readJson<Record<string, unknown>>(
      'artifacts/model/metadata.json',
    );
    const pointerMd5 = /md5: ([0-9a-f]{32})/.exec(await project.read('data.dvc'))![1];
    expect(metadata).toMatchObject({
      format: 'mlops-model/1',
      name: 'penguins-species',
      model_version: ctx.version,
      task: 'classification',
      target: { name: 'Species', classes: ['Adelie', 'Chinstrap', 'Gentoo'] },
      params: { layers: [16], learning_rate: 0.01, epochs: 60 },
      data: { path: 'data/penguins.json', rows_read: 344, dropped_rows: 0, unlabelled_rows: 0 },
      lineage: {
        git_commit: commit,
        git_dirty: false,
        data_path: 'data/penguins.json',
        data_md5: pointerMd5,
        config_hash: ctx.loaded.hash,
        code_hash: ctx.codeHash,
        seed: 42,
        tfjs_version: TFJS_VERSION,
        node_version: process.versions.node,
      },
    });
    expect(ctx.version).toMatch(/^[0-9a-f]{12}$/);
    expect(['tensorflow', 'wasm', 'cpu']).toContain(
      (metadata['lineage'] as { backend: string }).backend,
    );
  });

  it('gives a new version when the config or the data change, the same one otherwise', async () => {
    expect((await openRun(project.path('mlops.yaml'))).version).toBe(ctx.version);
    const changed = await openRun(project.path('mlops.yaml'), ['model.epochs=61']);
    expect(changed.version).not.toBe(ctx.version);
    const rows = await penguinRows();
    await project.writeDataset('data/fewer.json', JSON.stringify(rows.slice(0, 300)), 'fewer.dvc');
    const fewer = await openRun(project.path('mlops.yaml'), ['data.pointer=fewer.dvc']);
    expect(fewer.version).not.toBe(ctx.version);
  });

  it('reuses a saved model that is up to date, and retrains it when forced', async () => {
    const again = await trainStage(ctx);
    expect(again.reused).toBe(true);
    expect(again.bundle.metadata.created_at).toBe(trained.metadata.created_at);
    again.bundle.network.dispose();
    const forced = await trainStage(ctx, { force: true });
    expect(forced.reused).toBe(false);
    expect(predictRows(forced.bundle, testRows)).toEqual(predictRows(trained, testRows));
    forced.bundle.network.dispose();
  });

  it('refuses to evaluate a saved model trained on another config', async () => {
    const other = await openRun(project.path('mlops.yaml'), ['model.epochs=61']);
    await expect(loadCurrentBundle(other)).rejects.toThrow(
      /holds model [0-9a-f]{12}, but the config, data and code now give/,
    );
  });

  it('names the file when there is no model to load', async () => {
    const error = await loadBundle(project.path('nowhere')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).code).toBe('model');
    expect((error as PipelineError).message).toContain('nowhere/metadata.json: missing');
  });

  it('names the file when a copied model folder lost its weights or its manifest', async () => {
    const broken = project.path('broken-model');
    await cp(ctx.paths.model, broken, { recursive: true });
    await rm(join(broken, 'weights.bin'));
    const noWeights = await loadBundle(broken).catch((e: unknown) => e);
    expect(noWeights).toBeInstanceOf(PipelineError);
    expect((noWeights as PipelineError).message).toContain(
      'broken-model/weights.bin: cannot read the weights named by model.json (ENOENT)',
    );
    await writeFile(join(broken, 'model.json'), '{"modelTopology": {}}');
    const noManifest = await loadBundle(broken).catch((e: unknown) => e);
    expect(noManifest).toBeInstanceOf(PipelineError);
    expect((noManifest as PipelineError).message).toContain(
      'broken-model/model.json: has no weightsManifest',
    );
  });

  it('refuses a model.json whose weights path leaves the model folder', async () => {
    const crafted = project.path('crafted-model');
    await cp(ctx.paths.model, crafted, { recursive: true });
    const modelJson = JSON.parse(await readFile(join(crafted, 'model.json'), 'utf8'));
    modelJson.weightsManifest[0].paths = ['../data.dvc'];
    await writeFile(join(crafted, 'model.json'), JSON.stringify(modelJson));
    const error = await loadBundle(crafted).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PipelineError);
    expect((error as PipelineError).message).toContain(
      'weights path "../data.dvc" leaves the model folder',
    );
  });
});

describe('predict', () => {
  it('gives the most probable class and the probabilities of all classes', () => {
    const outcome = predictRows(trained, testRows);
    if (!outcome.ok) throw new Error('predictions failed');
    expect(outcome.predictions).toHaveLength(testRows.length);
    for (const p of outcome.predictions) {
      if (!('label' in p)) throw new Error('expected a class');
      const probs = Object.entries(p.probabilities);
      expect(probs.map(([c]) => c)).toEqual(['Adelie', 'Chinstrap', 'Gentoo']);
      expect(probs.reduce((s, [, v]) => s + v, 0)).toBeCloseTo(1, 5);
      expect(p.label).toBe(probs.reduce((a, b) => (b[1] > a[1] ? b : a))[0]);
    }
    const raw = Array.from(
      ctx.split.test,
      (i) => ctx.dataset.table.columns.get('Species')!.values[i],
    );
    const right = outcome.predictions.filter((p, i) => 'label' in p && p.label === raw[i]).length;
    expect(right / raw.length).toBeGreaterThanOrEqual(0.95);
  });

  it('returns every bad field with its row instead of predictions', () => {
    const outcome = predictRows(trained, [
      testRows[0],
      { ...testRows[1], 'Body Mass (g)': 'heavy', Wings: 2 },
    ]);
    expect(outcome).toEqual({
      ok: false,
      errors: [
        { row: 1, field: 'Wings', message: 'unknown field' },
        { row: 1, field: 'Body Mass (g)', message: 'expected a number, got "heavy"' },
      ],
    });
  });
});
