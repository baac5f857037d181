/**
 * Training throughput: our MLP trainer against scikit-learn's MLPClassifier and
 * MLPRegressor (Debian's python3-sklearn) with the same layers, batch size,
 * epochs, learning rate, optimizer (Adam) and data, on this machine in one run.
 *
 *   npx tsx bench/train-vs-sklearn.ts [--runs 5]
 *
 * Prints a Markdown table of medians; samples/s is rows × epochs ÷ fit seconds.
 * Our time includes scoring the validation split after every epoch, which
 * scikit-learn (without early stopping) does not do.
 */
import { fileURLToPath } from 'node:url';
import { rm } from 'node:fs/promises';
import { ModelSchema } from '../pipeline/config/schema.js';
import { initBackend } from '../pipeline/train/backend.js';
import { predictMatrix } from '../pipeline/model/predict-matrix.js';
import { fitNetwork, type TrainingSet } from '../pipeline/train/fit.js';
import {
  pipelineMatrices,
  syntheticMatrices,
  writeMatrices,
  type Matrices,
} from './lib/matrices.js';
import { ensureDebianPackages, PYTHON, run } from './lib/system.js';
import { int, median, num, ratio, runsArg, table } from './lib/table.js';

interface Case {
  name: string;
  data: () => Promise<Matrices> | Matrices;
  layers: number[];
  batch: number;
  epochs: number;
  lr: number;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

const CASES: Case[] = [
  { name: 'penguins (mlops.yaml)', data: () => pipelineMatrices(here('../mlops.yaml')), layers: [16], batch: 32, epochs: 60, lr: 0.01 }, // prettier-ignore
  { name: 'cars (examples/cars)', data: () => pipelineMatrices(here('../examples/cars/mlops.yaml')), layers: [32, 16], batch: 32, epochs: 150, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 20k×20 regression', data: () => syntheticMatrices('regression', 20_000, 20), layers: [16], batch: 32, epochs: 10, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 20k×20 regression', data: () => syntheticMatrices('regression', 20_000, 20), layers: [64, 32], batch: 256, epochs: 10, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 20k×20 4 classes', data: () => syntheticMatrices('classification', 20_000, 20), layers: [64, 32], batch: 256, epochs: 10, lr: 0.01 }, // prettier-ignore
];

function score(m: Matrices, predicted: Float32Array, test: TrainingSet): number {
  if (m.task === 'classification') {
    let right = 0;
    for (let i = 0; i < test.rows; i++) {
      let best = 0;
      for (let j = 1; j < m.outputs; j++)
        if (predicted[i * m.outputs + j]! > predicted[i * m.outputs + best]!) best = j;
      if (best === test.y[i]) right++;
    }
    return right / test.rows;
  }
  let mean = 0;
  for (let i = 0; i < test.rows; i++) mean += test.y[i]! / test.rows;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < test.rows; i++) {
    ssRes += (test.y[i]! - predicted[i]!) ** 2;
    ssTot += (test.y[i]! - mean) ** 2;
  }
  return 1 - ssRes / ssTot;
}

async function oursOnce(c: Case, m: Matrices, seed: number) {
  const model = ModelSchema.parse({
    task: m.task,
    layers: c.layers,
    batch_size: c.batch,
    epochs: c.epochs,
    learning_rate: c.lr,
    patience: 0,
  });
  const fit = await fitNetwork({
    model,
    seed,
    inputSize: m.inputs,
    outputs: m.outputs,
    train: m.train,
    validation: m.validation,
  });
  const s = score(m, predictMatrix(fit.network, m.test.x, m.test.rows, m.inputs), m.test);
  fit.network.dispose();
  return { seconds: fit.seconds, score: s };
}

/** One timed scikit-learn fit in a fresh process, after one untimed fit in it. */
async function sklearnOnce(c: Case, m: Matrices, dir: string, seed: number) {
  const spec = { dir, task: m.task, inputs: m.inputs, layers: c.layers, batch: c.batch, epochs: c.epochs, lr: c.lr, repeats: 1, warmup: 1, seed }; // prettier-ignore
  const { stdout } = await run(PYTHON, [here('anchors/sklearn_train.py'), JSON.stringify(spec)]);
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { seconds: number; score: number };
}

/**
 * The two alternate, one fit each, so a burst of load from elsewhere on the
 * machine lands on both sides rather than on one.
 */
async function compare(c: Case, m: Matrices, runs: number) {
  const dir = await writeMatrices(m);
  try {
    await oursOnce(c, m, 0); // warm-up
    const a = [];
    const b = [];
    for (let r = 1; r <= runs; r++) {
      a.push(await oursOnce(c, m, r));
      b.push(await sklearnOnce(c, m, dir, r));
    }
    return { a, b };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const runs = runsArg(5);
await ensureDebianPackages(['python3-sklearn']);
await initBackend();
const rows: string[][] = [];
for (const c of CASES) {
  const m = await c.data();
  const samples = m.train.rows * c.epochs;
  const { a, b } = await compare(c, m, runs);
  const oursRate = samples / median(a.map((r) => r.seconds));
  const theirRate = samples / median(b.map((r) => r.seconds));
  const metric = m.task === 'classification' ? 'accuracy' : 'r2';
  rows.push([
    c.name,
    `[${c.layers.join(', ')}]`,
    String(c.batch),
    String(c.epochs),
    int(m.train.rows),
    int(oursRate),
    int(theirRate),
    ratio(oursRate / theirRate),
    `${metric} ${num(median(a.map((r) => r.score)), 3)} / ${num(median(b.map((r) => r.score)), 3)}`,
  ]);
  process.stderr.write(
    `${c.name} [${c.layers}] batch ${c.batch}: ${ratio(oursRate / theirRate)}\n`,
  );
}
console.log(
  table(
    [
      'Data',
      'Layers',
      'Batch',
      'Epochs',
      'Train rows',
      'mlops samples/s',
      'scikit-learn samples/s',
      'Ratio',
      'Test score (mlops / sklearn)',
    ],
    rows,
  ),
);
console.log(
  `\nMedians of ${runs} runs each; Node ${process.versions.node}, ${(await run(PYTHON, ['-c', 'import sklearn; print(sklearn.__version__)'])).stdout.trim()} scikit-learn.`,
);
