/**
 * A model module that takes one input per feature (`inputs = 'features'`):
 * numeric features standardised, categorical ones as the index of their
 * category, so an embedding layer works. Trained by `mlops run`, and served and
 * predicted from the saved preprocessing with exactly the encoding it trained on.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBundle, type ModelBundle } from '../../pipeline/model/load.js';
import { predictRows, type Prediction } from '../../pipeline/predict/predict.js';
import type { Preprocess } from '../../pipeline/prepare/preprocess.js';
import { createPredictionServer } from '../../pipeline/serve/server.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { penguinRows, penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

/** Island and Sex through embeddings, the four measurements through a dense layer. */
const NET = `import * as tfl from '@tensorflow/tfjs-layers';

export const inputs = 'features';

export default function build(inputs, task, outputs, params, { seed }) {
  const layers = inputs.features.map((f) => {
    const input = tfl.input({ shape: [1], name: f.name.replace(/[^A-Za-z]/g, '') });
    const out = f.type === 'numeric'
      ? input
      : tfl.layers.flatten().apply(
          tfl.layers.embedding({
            inputDim: f.vocabulary,
            outputDim: 2,
            embeddingsInitializer: tfl.initializers.randomUniform({ seed }),
          }).apply(input),
        );
    return { input, out };
  });
  const joined = tfl.layers.concatenate().apply(layers.map((l) => l.out));
  const hidden = tfl.layers.dense({
    units: 8,
    activation: 'relu',
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
  }).apply(joined);
  const out = tfl.layers.dense({
    units: outputs,
    activation: 'softmax',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
  }).apply(hidden);
  return tfl.model({ inputs: layers.map((l) => l.input), outputs: out });
}
`;

async function featuresProject(source = NET): Promise<TempProject> {
  const project = await penguinsProject();
  const yaml = await project.read('mlops.yaml');
  const edited = yaml.replace(
    / {2}kind: mlp\n {2}layers: \[16\]\n/,
    '  kind: tfjs\n  module: models/net.ts\n',
  );
  expect(edited).not.toBe(yaml);
  await project.write('mlops.yaml', edited);
  await project.write('models/net.ts', source);
  return project;
}

/**
 * The tensors a per-feature model takes, built here from the rows and the saved
 * preprocessing without the pipeline's encoder: each feature standardised, or
 * its category's index (the last index for a category not seen in training).
 */
function featureTensors(pre: Preprocess, rows: Record<string, unknown>[]): tf.Tensor[] {
  return pre.features.map((f) => {
    if (f.type === 'numeric')
      return tf.tensor2d(
        rows.map((r) => [r[f.name] == null ? 0 : ((r[f.name] as number) - f.mean) / f.std]),
        [rows.length, 1],
      );
    return tf.tensor2d(
      rows.map((r) => {
        const j = f.categories.indexOf(r[f.name] as string);
        return [j >= 0 ? j : f.categories.length];
      }),
      [rows.length, 1],
      'int32',
    );
  });
}

/** The team's model inside the saved one: what the builder returned. */
function teamModel(bundle: ModelBundle): tfl.LayersModel {
  const inner = bundle.network.layers.find((l) => l instanceof tfl.LayersModel);
  expect(inner).toBeDefined();
  return inner as tfl.LayersModel;
}

function probabilities(predictions: Prediction[]): number[][] {
  return predictions.map((p) =>
    Object.values((p as { probabilities: Record<string, number> }).probabilities),
  );
}

describe('a model module taking one input per feature', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await featuresProject();
  });
  afterAll(() => project?.remove());

  it('trains with embeddings, and predict and serve give what the model gives on the training encoding, an unseen island at the unknown index', async () => {
    const run = await runMlops(['run', '--set', 'model.epochs=30'], { cwd: project.dir });
    expect(run.code, run.stderr).toBe(0);

    await initBackend();
    const bundle = await loadBundle(project.path('artifacts/model'));
    const pre = bundle.preprocess;
    expect(bundle.metadata.lineage.model_inputs).toBe('features');
    const island = pre.features.find((f) => f.name === 'Island');
    expect(island).toMatchObject({
      type: 'categorical',
      categories: ['Biscoe', 'Dream', 'Torgersen'],
    });

    const rows = (await penguinRows()).slice(0, 4).map((r) => {
      const features = { ...r };
      delete features['Species'];
      return features;
    });
    rows[3] = { ...rows[3], Island: 'Atlantis' };
    const clean = rows.map((r) =>
      Object.fromEntries(Object.entries(r).filter(([, v]) => v !== null)),
    );

    const inputs = featureTensors(pre, clean);
    // The unseen island is read as the last index: 3 of a vocabulary of 4.
    expect(Array.from(inputs[0]!.dataSync())).toEqual([2, 2, 2, 3]);
    const expected = Array.from((teamModel(bundle).predict(inputs) as tf.Tensor).dataSync());
    tf.dispose(inputs);

    const direct = predictRows(bundle, clean);
    expect(direct.ok).toBe(true);
    const flat = (ps: number[][]) => ps.flat();
    const close = (got: number[]) => got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 5));
    close(flat(probabilities((direct as { predictions: Prediction[] }).predictions)));

    await project.write('rows.json', JSON.stringify(clean));
    const predicted = await runMlops(['predict', '--input', 'rows.json'], { cwd: project.dir });
    expect(predicted.code, predicted.stderr).toBe(0);
    close(flat(probabilities(JSON.parse(predicted.stdout).predictions as Prediction[])));

    const server = await createPredictionServer({
      modelDir: project.path('artifacts/model'),
      token: 'tok',
    });
    try {
      const url = await server.listen('127.0.0.1', 0);
      const res = await fetch(`${url}/v1/predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
        body: JSON.stringify({ rows: clean }),
      });
      const served = (await res.json()) as { predictions?: Prediction[] };
      expect(res.status, JSON.stringify(served)).toBe(200);
      close(flat(probabilities(served.predictions!)));
    } finally {
      await server.close();
    }
  });

  it('exits 2 naming the module when the model does not take one [batch, 1] input per feature', async () => {
    await project.write(
      'models/net.ts',
      NET.replace(
        'return tfl.model({ inputs: layers.map((l) => l.input), outputs: out });',
        'return tfl.model({ inputs: layers.slice(1).map((l) => l.input), outputs: out });',
      ).replace(
        'tfl.layers.concatenate().apply(layers.map((l) => l.out))',
        'tfl.layers.concatenate().apply(layers.slice(1).map((l) => l.out))',
      ),
    );
    const result = await runMlops(['train', '--set', 'model.epochs=2'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('model.module models/net.ts');
    expect(result.stderr).toContain(
      "expected a model with one input per feature (inputs = 'features'), 6 in the order of inputs.features (Island, Beak Length (mm), Beak Depth (mm), Flipper Length (mm), Body Mass (g), Sex), got 5",
    );
  });

  it('exits 2 naming the module for an inputs export it does not know', async () => {
    await project.write('models/net.ts', NET.replace("inputs = 'features'", "inputs = 'columns'"));
    const result = await runMlops(['train', '--set', 'model.epochs=2'], { cwd: project.dir });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `model.module models/net.ts: expected its export inputs to be 'vector' or 'features', found "columns"`,
    );
  });
});

describe('the segment sum the backend set-up registers for wasm', () => {
  it('sums rows into their segments as the gradient of an embedding needs', async () => {
    await initBackend();
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
    const ids = tf.tensor1d([2, 0, 2, -1], 'int32');
    const sums = tf.unsortedSegmentSum(x, ids, 3);
    expect(sums.shape).toEqual([3, 2]);
    expect(Array.from(sums.dataSync())).toEqual([3, 4, 0, 0, 6, 8]);
    tf.dispose([x, ids, sums]);
  });
});
