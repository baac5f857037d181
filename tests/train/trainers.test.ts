/**
 * Trainers keyed by model.kind, and kind tfjs: a model module of the team's own,
 * trained by `mlops run` on the penguins data as a user runs it, predicted by
 * `mlops predict`, part of the model version, and refused with exit 2 naming
 * the module when it is broken.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PipelineError } from '../../pipeline/errors.js';
import { createPredictionServer } from '../../pipeline/serve/server.js';
import { trainerFor } from '../../pipeline/train/trainers/registry.js';
import {
  penguinRows,
  penguinsProject,
  runMlops,
  type CliResult,
  type TempProject,
} from '../helpers/project.js';
import { PENGUIN } from '../serve/fixtures.js';
import { trainPenguins } from '../support/trained-penguins.js';
import { readMetadata } from '../../pipeline/model/files.js';

const NET = `import * as tfl from '@tensorflow/tfjs-layers';
import { hidden } from './width';

export default function build(inputs, task, outputs, params, { seed }) {
  const net = tfl.sequential();
  net.add(tfl.layers.dense({
    units: hidden(params),
    activation: 'relu',
    inputShape: [inputs.size],
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
  }));
  net.add(tfl.layers.dense({
    units: outputs,
    activation: task === 'classification' ? 'softmax' : 'linear',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
  }));
  return net;
}
`;
const WIDTH = `export const hidden = (params: { units?: number }): number => params.units ?? 8;\n`;

const versionIn = (r: CliResult) => /model ([0-9a-f]{12}) in artifacts\/model/.exec(r.stderr)?.[1];

async function tfjsProject(): Promise<TempProject> {
  const project = await penguinsProject();
  const yaml = await project.read('mlops.yaml');
  const edited = yaml.replace(
    / {2}kind: mlp\n {2}layers: \[16\]\n/,
    '  kind: tfjs\n  module: models/net.ts\n  params: { units: 16 }\n',
  );
  expect(edited).not.toBe(yaml);
  await project.write('mlops.yaml', edited);
  await project.write('models/net.ts', NET);
  await project.write('models/width.ts', WIDTH);
  await project.write('models/unrelated.ts', 'export const x = 1;\n');
  return project;
}

describe('the trainer registry', () => {
  it('refuses a kind it has no trainer for, listing the kinds and the files looked for', async () => {
    await expect(trainerFor('xgboost', process.cwd())).rejects.toThrow(PipelineError);
    await expect(trainerFor('xgboost', process.cwd())).rejects.toThrow(
      'model.kind: "xgboost" is not a built-in kind (linear, mlp, tfjs), and no trainer file names it: looked for trainers/xgboost.ts, trainers/xgboost.js, trainers/xgboost.mjs',
    );
    expect(await trainerFor('linear', process.cwd())).toBe(await trainerFor('mlp', process.cwd()));
  });
});

describe('the lineage of a built-in kind', () => {
  it('names the dense engine and its kernel as the trainer, and tfjs as what saved it', async () => {
    const trained = await trainPenguins(['model.epochs=3']);
    try {
      const { lineage } = await readMetadata(trained.modelDir);
      expect(lineage.trainer).toBe('dense');
      // Node 20's V8 compiles WebAssembly SIMD: the fast kernel ran.
      expect(lineage.kernel).toBe('wasm-simd');
      const report = await readFile(join(trained.root, 'reports/report.md'), 'utf8');
      expect(report).toContain('trained by `dense (wasm-simd)`');
      expect(report).toContain('| Trained by | the dense engine (wasm-simd) |');
      expect(report).toContain(
        `| Saved with | TensorFlow.js ${lineage.tfjs_version} (cpu backend)`,
      );
    } finally {
      await trained.cleanup();
    }
  });
});

describe('kind tfjs', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tfjsProject();
  });
  afterAll(() => project?.remove());

  it('trains the module with model.fit, passes the gates, and is predicted by mlops predict and served', async () => {
    const run = await runMlops(['run', '--set', 'model.epochs=40'], { cwd: project.dir });
    expect(run.stderr).toContain('training tfjs on');
    expect(run.code).toBe(0);
    const metadata = await project.readJson<{
      params: { kind: string };
      lineage: { trainer: string; backend: string; kernel?: string; model_files: string[] };
    }>('artifacts/model/metadata.json');
    expect(metadata.params.kind).toBe('tfjs');
    expect(metadata.lineage.trainer).toBe('tfjs');
    expect(metadata.lineage.kernel).toBeUndefined();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(metadata.lineage.backend);
    expect(metadata.lineage.model_files).toEqual(['models/net.ts', 'models/width.ts']);
    const report = await project.read('reports/report.md');
    expect(report).toContain(`tfjs (${metadata.lineage.backend})`);
    expect(report).toContain('Saved with');

    const rows = (await penguinRows()).slice(0, 3).map((r) => {
      const features = { ...r };
      delete features['Species'];
      return features;
    });
    await project.write('rows.json', JSON.stringify(rows));
    const predicted = await runMlops(['predict', '--input', 'rows.json'], { cwd: project.dir });
    expect(predicted.code).toBe(0);
    const answer = JSON.parse(predicted.stdout) as { predictions: { label: string }[] };
    expect(answer.predictions.map((p) => p.label)).toEqual(['Adelie', 'Adelie', 'Adelie']);

    const server = await createPredictionServer({
      modelDir: project.path('artifacts/model'),
      token: 'tok',
    });
    try {
      const url = await server.listen('127.0.0.1', 0);
      const res = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
        body: JSON.stringify(PENGUIN),
      });
      const served = (await res.json()) as { prediction?: { label: string } };
      expect(res.status, JSON.stringify(served)).toBe(200);
      expect(served.prediction?.label).toBe('Gentoo');
    } finally {
      await server.close();
    }
  });

  it('changes the model version when the module or a file it imports changes, not an unrelated one', async () => {
    const args = ['train', '--set', 'model.epochs=2'];
    const first = await runMlops(args, { cwd: project.dir });
    expect(first.code).toBe(0);
    const version = versionIn(first);
    expect(version).toBeDefined();

    await project.write('models/unrelated.ts', 'export const x = 2;\n');
    const same = await runMlops(args, { cwd: project.dir });
    expect(same.stderr).toContain(`model ${version} is up to date`);

    await project.write('models/width.ts', `${WIDTH}// wider later\n`);
    const imported = await runMlops(args, { cwd: project.dir });
    expect(imported.code).toBe(0);
    expect(imported.stderr).not.toContain('training skipped');
    expect(versionIn(imported)).not.toBe(version);

    await project.write('models/net.ts', `${NET}// a comment\n`);
    const module = await runMlops(args, { cwd: project.dir });
    expect(module.code).toBe(0);
    expect(versionIn(module)).not.toBe(versionIn(imported));
  });
});

describe('a search over a tfjs module', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tfjsProject();
    await project.write(
      'mlops.yaml',
      `${await project.read('mlops.yaml')}\nsearch:\n  space:\n    params.units: [2, 24]\n    learning_rate: [0.01]\n`,
    );
  });
  afterAll(() => project?.remove());

  it('tries the values of params.<name> and keeps the best in model.params', async () => {
    const run = await runMlops(['train', '--set', 'model.epochs=5'], { cwd: project.dir });
    expect(run.code).toBe(0);
    const metadata = await project.readJson<{
      params: { params: { units: number } };
      training: { trials: { params: Record<string, unknown> }[] };
    }>('artifacts/model/metadata.json');
    expect(metadata.training.trials.map((t) => t.params['params.units'])).toEqual([2, 24]);
    expect([2, 24]).toContain(metadata.params.params.units);
  });
});

describe('a broken model module', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await tfjsProject();
  });
  afterAll(() => project?.remove());

  const cases: [string, string, string][] = [
    ['a syntax error', NET.replace('net.add(', 'net.add(('), 'models/net.ts:'],
    [
      'a throw in the builder',
      NET.replace('const net = ', "throw new Error('no such layer');\n  const net = "),
      // The line is the module's own, mapped through the bundle's source map,
      // named relative to the project as a trainer file's throw is.
      'model.module models/net.ts: its builder threw at models/net.ts:5:',
    ],
    [
      'a wrong output shape',
      NET.replace('units: outputs,', 'units: outputs + 1,'),
      "expected the model's output shape to be [batch, 3] (3 classes, softmax), got [batch, 4]",
    ],
    [
      'a model over the parameter limit',
      NET.replace(
        'net.add(tfl.layers.dense({\n    units: outputs,',
        "net.add(tfl.layers.dense({ units: 2600, activation: 'relu' }));\n  net.add(tfl.layers.dense({ units: 2000 }));\n  net.add(tfl.layers.dense({\n    units: outputs,",
      ).replace('units: hidden(params),', 'units: 16,'),
      'its model has 5,',
    ],
    [
      'a params key its schema does not take',
      `import { z } from 'zod';\nexport const params = z.strictObject({ width: z.number().optional() });\n${NET}`,
      // Checked as the config's keys are: the line in mlops.yaml, what the schema takes.
      'model.params.units: unknown key; expected one of width',
    ],
  ];
  it.each(cases)('exits 2 naming the module for %s, writing nothing', async (_, source, says) => {
    await project.write('models/net.ts', source);
    const result = await runMlops(['train', '--set', 'model.epochs=2'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('model.module models/net.ts');
    expect(result.stderr).toContain(says);
    expect(result.stderr).not.toContain(project.dir);
    expect(await project.exists('artifacts/model')).toBe(false);
  });
});
