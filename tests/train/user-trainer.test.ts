/**
 * A trainer of the team's own, added as a user adds it: one file,
 * trainers/<kind>.ts beside mlops.yaml, and `kind: <kind>`. Nothing under
 * pipeline/ is edited: the test writes only into its temporary project. The
 * model trains, passes the penguins gates, is predicted by `mlops predict`,
 * and its params are checked as the config's own keys are; a broken trainer
 * stops with exit 2 naming its file and line, writing nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPredictionServer } from '../../pipeline/serve/server.js';
import {
  penguinRows,
  penguinsProject,
  runMlops,
  type CliResult,
  type TempProject,
} from '../helpers/project.js';
import { PENGUIN } from '../serve/fixtures.js';

const TRAINER = `import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import { defineTrainer, type TrainingSet } from 'mlops-pipeline/trainer';
import { widthOf } from './width';

function tensors(set: TrainingSet, inputSize: number, outputs: number, classification: boolean) {
  const x = tf.tensor2d(set.x, [set.rows, inputSize]);
  const y = classification
    ? tf.cast(tf.oneHot(tf.tensor1d(set.y as Int32Array, 'int32'), outputs), 'float32')
    : tf.tensor2d(set.y as Float32Array, [set.rows, 1]);
  return [x, y] as const;
}

export default defineTrainer({
  params: z.strictObject({
    units: z.int().positive().default(8),
    activation: z.enum(['relu', 'tanh']).default('relu'),
  }),
  async fit({ params, model, task, seed, inputSize, outputs, train, validation, onEpoch }) {
    const classification = task === 'classification';
    const net = tfl.sequential();
    net.add(tfl.layers.dense({
      units: widthOf(params.units),
      activation: params.activation,
      inputShape: [inputSize],
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    }));
    net.add(tfl.layers.dense({
      units: outputs,
      activation: classification ? 'softmax' : 'linear',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    }));
    net.compile({
      optimizer: tf.train.adam(model.learning_rate),
      loss: classification ? 'categoricalCrossentropy' : 'meanSquaredError',
    });
    const [x, y] = tensors(train, inputSize, outputs, classification);
    const [vx, vy] = tensors(validation, inputSize, outputs, classification);
    for (let epoch = 1; epoch <= model.epochs; epoch++) {
      const h = await net.fit(x, y, {
        epochs: 1,
        batchSize: model.batch_size,
        shuffle: false,
        verbose: 0,
        validationData: [vx, vy],
      });
      await onEpoch({ epoch, loss: Number(h.history.loss?.[0]), val_loss: Number(h.history.val_loss?.[0]) });
    }
    tf.dispose([x, y, vx, vy]);
    return { network: net };
  },
});
`;
const WIDTH = `export const widthOf = (units: number): number => units;\n`;

const versionIn = (r: CliResult) => /model ([0-9a-f]{12}) in artifacts\/model/.exec(r.stderr)?.[1];

/** The penguins pipeline with `kind: tiny-net` and its trainer file. */
async function userTrainerProject(params = '  params: { units: 12 }\n'): Promise<TempProject> {
  const project = await penguinsProject();
  const yaml = await project.read('mlops.yaml');
  const edited = yaml.replace(/ {2}kind: mlp\n {2}layers: \[16\]\n/, `  kind: tiny-net\n${params}`);
  expect(edited).not.toBe(yaml);
  await project.write('mlops.yaml', edited);
  await project.write('trainers/tiny-net.ts', TRAINER);
  await project.write('trainers/width.ts', WIDTH);
  await project.write('trainers/unrelated.ts', 'export const x = 1;\n');
  return project;
}

/** The 1-based line of `text` in `source`. */
const lineOf = (source: string, text: string) =>
  source.slice(0, source.indexOf(text)).split('\n').length;

describe('a trainer of your own (trainers/<kind>.ts)', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await userTrainerProject();
  });
  afterAll(() => project?.remove());

  it('trains with mlops run, passes the gates, and is predicted by mlops predict and served', async () => {
    const run = await runMlops(['run', '--set', 'model.epochs=40'], { cwd: project.dir });
    expect(run.stderr).toContain('training tiny-net on');
    expect(run.code, run.stderr).toBe(0);
    const metadata = await project.readJson<{
      params: { kind: string; params: Record<string, unknown> };
      lineage: { trainer: string; backend: string; model_files: string[] };
    }>('artifacts/model/metadata.json');
    expect(metadata.params.kind).toBe('tiny-net');
    // The schema's default is filled in beside the value mlops.yaml gives.
    expect(metadata.params.params).toEqual({ units: 12, activation: 'relu' });
    expect(metadata.lineage.trainer).toBe('tiny-net');
    expect(['tensorflow', 'wasm', 'cpu']).toContain(metadata.lineage.backend);
    expect(metadata.lineage.model_files).toEqual(['trainers/tiny-net.ts', 'trainers/width.ts']);
    const report = await project.read('reports/report.md');
    expect(report).toContain(`trained by \`tiny-net\` on \`tfjs (${metadata.lineage.backend})\``);
    expect(report).toContain(
      `| Trained by | the trainer tiny-net on TensorFlow.js (${metadata.lineage.backend}), \`trainers/tiny-net.ts\`, \`trainers/width.ts\` |`,
    );
    const metrics = await project.readJson<{ gates: { passed: boolean }[] }>(
      'reports/metrics.json',
    );
    expect(metrics.gates.length).toBeGreaterThan(0);
    expect(metrics.gates.every((g) => g.passed)).toBe(true);

    const rows = (await penguinRows()).slice(0, 3).map((r) => {
      const features = { ...r };
      delete features['Species'];
      return features;
    });
    await project.write('rows.json', JSON.stringify(rows));
    const predicted = await runMlops(['predict', '--input', 'rows.json'], { cwd: project.dir });
    expect(predicted.code, predicted.stderr).toBe(0);
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

  it('takes --set model.params.<name>, and its file and imports decide the model version', async () => {
    const args = ['train', '--set', 'model.epochs=2', '--set', 'model.params.units=4'];
    const first = await runMlops(args, { cwd: project.dir });
    expect(first.code, first.stderr).toBe(0);
    const version = versionIn(first);
    expect(version).toBeDefined();
    const metadata = await project.readJson<{ params: { params: { units: number } } }>(
      'artifacts/model/metadata.json',
    );
    expect(metadata.params.params.units).toBe(4);

    await project.write('trainers/unrelated.ts', 'export const x = 2;\n');
    const same = await runMlops(args, { cwd: project.dir });
    expect(same.stderr).toContain(`model ${version} is up to date`);

    await project.write('trainers/width.ts', `${WIDTH}// wider later\n`);
    const imported = await runMlops(args, { cwd: project.dir });
    expect(imported.code, imported.stderr).toBe(0);
    expect(versionIn(imported)).not.toBe(version);
  });

  it('searches over params.<name>, keeping the best in model.params', async () => {
    const searched = await userTrainerProject();
    try {
      await searched.write(
        'mlops.yaml',
        `${await searched.read('mlops.yaml')}\nsearch:\n  space:\n    params.units: [2, 24]\n`,
      );
      const run = await runMlops(['train', '--set', 'model.epochs=5'], { cwd: searched.dir });
      expect(run.code, run.stderr).toBe(0);
      const metadata = await searched.readJson<{
        params: { params: { units: number } };
        training: { trials: { params: Record<string, unknown> }[] };
      }>('artifacts/model/metadata.json');
      expect(metadata.training.trials.map((t) => t.params['params.units'])).toEqual([2, 24]);
      expect([2, 24]).toContain(metadata.params.params.units);
    } finally {
      await searched.remove();
    }
  });
});

/**
 * A network with an embedding layer: its gradient is an UnsortedSegmentSum,
 * which the wasm backend has only as the pipeline registers it. The embedding
 * reads the encoded row, negatives clipped by a relu, as indices.
 */
const EMBEDDING_TRAINER = TRAINER.replace(
  /const net = tfl\.sequential\(\);[\s\S]*?\n {4}net\.compile/,
  `const input = tfl.input({ shape: [inputSize] });
    const indices = tfl.layers.activation({ activation: 'relu' }).apply(input) as tfl.SymbolicTensor;
    const embedded = tfl.layers.flatten().apply(
      tfl.layers.embedding({
        inputDim: 8,
        outputDim: 2,
        embeddingsInitializer: tfl.initializers.randomUniform({ seed }),
      }).apply(indices),
    ) as tfl.SymbolicTensor;
    const hidden = tfl.layers.dense({
      units: widthOf(params.units),
      activation: params.activation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed }),
    }).apply(tfl.layers.concatenate().apply([input, embedded])) as tfl.SymbolicTensor;
    const out = tfl.layers.dense({
      units: outputs,
      activation: classification ? 'softmax' : 'linear',
      kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }),
    }).apply(hidden) as tfl.SymbolicTensor;
    const net = tfl.model({ inputs: input, outputs: out });
    net.compile`,
);

describe('a trainer of your own whose network has an embedding', () => {
  it('trains on the wasm backend with mlops run: the gradient of the embedding is registered there', async () => {
    expect(EMBEDDING_TRAINER).not.toBe(TRAINER);
    const project = await userTrainerProject();
    try {
      await project.write('trainers/tiny-net.ts', EMBEDDING_TRAINER);
      const run = await runMlops(['run', '--backend', 'wasm', '--set', 'model.epochs=20'], {
        cwd: project.dir,
      });
      expect(run.code, run.stderr).toBe(0);
      const metadata = await project.readJson<{
        lineage: { trainer: string; backend: string };
      }>('artifacts/model/metadata.json');
      expect(metadata.lineage).toMatchObject({ trainer: 'tiny-net', backend: 'wasm' });
    } finally {
      await project.remove();
    }
  });
});

describe('a kind with no trainer', () => {
  it('exits 2 naming model.kind, the built-in kinds and the files looked for, writing nothing', async () => {
    const project = await userTrainerProject();
    try {
      const yaml = await project.read('mlops.yaml');
      await project.write('mlops.yaml', yaml.replace('kind: tiny-net', 'kind: tiny-nets'));
      const result = await runMlops(['train'], { cwd: project.dir });
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(
        'model.kind: "tiny-nets" is not a built-in kind (linear, mlp, tfjs), and no trainer file names it: looked for trainers/tiny-nets.ts, trainers/tiny-nets.js, trainers/tiny-nets.mjs',
      );
      await project.write('mlops.yaml', yaml.replace('kind: tiny-net', 'kind: mpl'));
      const typo = await runMlops(['train'], { cwd: project.dir });
      expect(typo.code).toBe(2);
      expect(typo.stderr).toContain('"mpl" is not a built-in kind (did you mean "mlp"?)');
      await project.write('mlops.yaml', yaml.replace('kind: tiny-net', 'kind: ../tiny-net'));
      const path = await runMlops(['train'], { cwd: project.dir });
      expect(path.code).toBe(2);
      expect(path.stderr).toContain(
        'model.kind: expected linear, mlp, tfjs, or the name of a trainer file of your own (trainers/<name>.ts: lower-case letters, digits, - and _), got "../tiny-net"',
      );
      expect(await project.exists('artifacts')).toBe(false);
    } finally {
      await project.remove();
    }
  });
});

describe('a broken trainer', () => {
  let project: TempProject;
  beforeAll(async () => {
    project = await userTrainerProject();
  });
  afterAll(() => project?.remove());

  const broken = async (
    source: string,
    args: string[] = [],
    yaml?: (text: string) => string,
  ): Promise<CliResult> => {
    await project.write('trainers/tiny-net.ts', source);
    const original = await project.read('mlops.yaml');
    if (yaml) await project.write('mlops.yaml', yaml(original));
    try {
      const result = await runMlops(['train', '--set', 'model.epochs=2', ...args], {
        cwd: project.dir,
      });
      expect(result.code, result.stderr).toBe(2);
      expect(await project.exists('artifacts')).toBe(false);
      return result;
    } finally {
      await project.write('mlops.yaml', original);
    }
  };

  it('a syntax error: exit 2 with the file and line', async () => {
    const source = TRAINER.replace('net.add(tfl', 'net.add((tfl');
    const { stderr } = await broken(source);
    expect(stderr).toContain(
      `model.kind tiny-net: trainers/tiny-net.ts: trainers/tiny-net.ts:${lineOf(source, 'kernelInitializer: tfl.initializers.glorotUniform({ seed }),') + 1}:`,
    );
  });

  it('a throw in its fit: exit 2 with the line it was thrown at, through the source map', async () => {
    const source = TRAINER.replace(
      'const net = tfl.sequential();',
      "const net = tfl.sequential();\n    if (params.units > 0) throw new Error('no such layer');",
    );
    const { stderr } = await broken(source);
    expect(stderr).toContain(
      `model.kind tiny-net: trainers/tiny-net.ts: its fit threw at trainers/tiny-net.ts:${lineOf(source, 'throw new Error')}:`,
    );
    expect(stderr).toContain(': no such layer');
  });

  it('a throw when it loads: exit 2 with the line', async () => {
    const source = `${TRAINER}\nthrow new Error('broken at load');\n`;
    const { stderr } = await broken(source);
    expect(stderr).toContain(
      `trainers/tiny-net.ts: loading it threw at trainers/tiny-net.ts:${lineOf(source, "throw new Error('broken")}:`,
    );
  });

  it('a wrong output shape: exit 2 saying what was expected and what was found', async () => {
    const { stderr } = await broken(
      TRAINER.replace(
        'return { network: net };',
        'net.dispose();\n    return { network: tfl.sequential({ layers: [tfl.layers.dense({ units: outputs + 1, inputShape: [inputSize] })] }) };',
      ),
    );
    expect(stderr).toContain(
      "model.kind tiny-net: trainers/tiny-net.ts: expected the model's output shape to be [batch, 3] (3 classes, softmax), got [batch, 4]",
    );
  });

  it('an epoch log without val_loss: exit 2 naming the epoch, before metadata.json is written', async () => {
    const { stderr } = await broken(
      TRAINER.replace(
        'val_loss: Number(h.history.val_loss?.[0]) });',
        'val_loss: undefined as unknown as number });',
      ),
    );
    expect(stderr).toContain(
      'model.kind tiny-net: trainers/tiny-net.ts: expected the log of epoch 1 given to onEpoch to be { epoch, loss, val_loss } with finite numbers, got {"epoch":1,"loss":',
    );
  });

  it('an unknown params key: exit 2 with its line in mlops.yaml and a did-you-mean', async () => {
    let yamlText = '';
    const { stderr } = await broken(TRAINER, [], (text) => {
      yamlText = text.replace('params: { units: 12 }', 'params:\n    unitz: 12');
      return yamlText;
    });
    expect(stderr).toContain(
      `mlops.yaml:${lineOf(yamlText, 'unitz')}: model.params.unitz: unknown key (did you mean "units"?); expected one of units, activation`,
    );
    expect(stderr).toContain('trainers/tiny-net declares the keys it takes');
  });

  it('a params value its schema refuses, from --set: exit 2 naming the --set', async () => {
    const { stderr } = await broken(TRAINER, ['--set', 'model.params.activation=gelu']);
    expect(stderr).toContain(
      '--set model.params.activation=gelu: model.params.activation: expected one of "relu", "tanh", got "gelu"',
    );
  });
});
