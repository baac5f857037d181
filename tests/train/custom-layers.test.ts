/**
 * Layer classes of the team's own (a model module's export `layers`): trained
 * by `mlops run`, saved with their code as layers.mjs, and loaded from the
 * bundle alone by `mlops predict` and the server in fresh processes; a bundle
 * that lost layers.mjs, or a class without a className, is refused naming it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { cp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelDigest } from '../../pipeline/model/digest.js';
import { loadBundle } from '../../pipeline/model/load.js';
import { encodeRows } from '../../pipeline/prepare/preprocess.js';
import { createPredictionServer } from '../../pipeline/serve/server.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { penguinRows, penguinsProject, runMlops, type TempProject } from '../helpers/project.js';

const NET = `import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

/** A learnable scale per input: y = x * w. */
class Scale extends tfl.layers.Layer {
  static className = 'Scale';
  private scale?: tfl.LayerVariable;
  build(inputShape: tfl.Shape | tfl.Shape[]) {
    const shape = inputShape as tfl.Shape;
    this.scale = this.addWeight('scale', [shape[shape.length - 1] as number], 'float32', tfl.initializers.ones());
    this.built = true;
  }
  call(inputs: tf.Tensor | tf.Tensor[]) {
    const x = Array.isArray(inputs) ? inputs[0]! : inputs;
    return tf.mul(x, this.scale!.read());
  }
  computeOutputShape(shape: tfl.Shape | tfl.Shape[]) {
    return shape;
  }
}

export const layers = [Scale];

export default function build(inputs, task, outputs, params, { seed }) {
  const net = tfl.sequential();
  net.add(new Scale({ inputShape: [inputs.size] }));
  net.add(tfl.layers.dense({
    units: 8,
    activation: 'relu',
    kernelInitializer: tfl.initializers.glorotUniform({ seed }),
  }));
  net.add(tfl.layers.dense({
    units: outputs,
    activation: 'softmax',
    kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
  }));
  return net;
}
`;

async function customLayersProject(net: string): Promise<TempProject> {
  const project = await penguinsProject();
  const yaml = await project.read('mlops.yaml');
  const edited = yaml.replace(
    / {2}kind: mlp\n {2}layers: \[16\]\n/,
    '  kind: tfjs\n  module: models/net.ts\n',
  );
  expect(edited).not.toBe(yaml);
  await project.write('mlops.yaml', edited);
  await project.write('models/net.ts', net);
  return project;
}

type Probabilities = { label: string; probabilities: Record<string, number> }[];

describe('a model module with layer classes of its own', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await customLayersProject(NET);
    await initBackend();
  });
  afterAll(() => project?.remove());

  it('trains, passes the gates, and is predicted by mlops predict and served as model.predict does', async () => {
    const run = await runMlops(['run', '--set', 'model.epochs=30'], { cwd: project.dir });
    expect(run.code, run.stderr).toBe(0);
    const metadata = await project.readJson<{ lineage: { custom_layers?: string[] } }>(
      'artifacts/model/metadata.json',
    );
    expect(metadata.lineage.custom_layers).toEqual(['Scale']);
    const modelJson = await project.read('artifacts/model/model.json');
    expect(modelJson).toContain('Scale');
    // The code serve will run is covered by the bundle's digest.
    const digest = await modelDigest(project.path('artifacts/model'));
    expect(Object.keys(digest.files)).toContain('layers.mjs');

    const rows = (await penguinRows()).slice(0, 5).map((r) => {
      const features = { ...r };
      delete features['Species'];
      return features;
    });
    await project.write('rows.json', JSON.stringify(rows));
    const predicted = await runMlops(['predict', '--input', 'rows.json'], { cwd: project.dir });
    expect(predicted.code, predicted.stderr).toBe(0);
    const cli = (JSON.parse(predicted.stdout) as { predictions: Probabilities }).predictions;

    // In this process: the network's own predict on the encoded rows.
    const bundle = await loadBundle(project.path('artifacts/model'));
    const { x } = encodeRows(bundle.preprocess, rows);
    const out = tf.tidy(() =>
      (
        bundle.network.predict(
          tf.tensor2d(x, [rows.length, bundle.preprocess.inputSize]),
        ) as tf.Tensor
      ).arraySync(),
    ) as number[][];
    const classes = Object.keys(cli[0]!.probabilities);
    cli.forEach((p, i) =>
      classes.forEach((c, j) => expect(p.probabilities[c]).toBeCloseTo(out[i]![j]!, 6)),
    );
    bundle.network.dispose();

    const server = await createPredictionServer({
      modelDir: project.path('artifacts/model'),
      token: 'tok',
    });
    try {
      const url = await server.listen('127.0.0.1', 0);
      for (const [i, row] of rows.entries()) {
        const res = await fetch(`${url}/v1/predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: 'Bearer tok' },
          body: JSON.stringify(row),
        });
        const served = (await res.json()) as { prediction?: Probabilities[number] };
        expect(res.status, JSON.stringify(served)).toBe(200);
        expect(served.prediction?.label).toBe(cli[i]!.label);
        classes.forEach((c, j) =>
          expect(served.prediction!.probabilities[c]).toBeCloseTo(out[i]![j]!, 6),
        );
      }
    } finally {
      await server.close();
    }
  });

  it('refuses a bundle whose layers.mjs was removed, naming the file and the classes', async () => {
    const copy = project.path('copied-model');
    await cp(project.path('artifacts/model'), copy, { recursive: true });
    await rm(`${copy}/layers.mjs`);
    const predicted = await runMlops(
      ['predict', '--model', 'copied-model', '--input', 'rows.json'],
      {
        cwd: project.dir,
      },
    );
    expect(predicted.code).toBe(2);
    expect(predicted.stderr).toContain('copied-model/layers.mjs: missing');
    expect(predicted.stderr).toContain('Scale');
  });

  it('refuses a bundle whose model needs a class its metadata does not list', async () => {
    const copy = project.path('unlisted-model');
    await cp(project.path('artifacts/model'), copy, { recursive: true });
    const metadata = await project.readJson<{ lineage: Record<string, unknown> }>(
      'unlisted-model/metadata.json',
    );
    delete metadata.lineage.custom_layers;
    await project.write('unlisted-model/metadata.json', JSON.stringify(metadata));
    const predicted = await runMlops(
      ['predict', '--model', 'unlisted-model', '--input', 'rows.json'],
      {
        cwd: project.dir,
      },
    );
    expect(predicted.code).toBe(2);
    expect(predicted.stderr).toContain('unlisted-model/model.json: cannot load');
    expect(predicted.stderr).toContain('Scale');
  });
});

describe('a layer class without a className', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await customLayersProject(NET.replace("  static className = 'Scale';\n", ''));
  });
  afterAll(() => project?.remove());

  it('stops the run with exit 2 naming the module and the class, before anything is written', async () => {
    const run = await runMlops(['train', '--set', 'model.epochs=2'], { cwd: project.dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'model.module models/net.ts: layers[0] (class Scale) has no static className',
    );
    expect(await project.exists('artifacts/model')).toBe(false);
  });
});
