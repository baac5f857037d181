/**
 * Training throughput: our MLP trainer against the Python trainers an ML
 * engineer would otherwise pick, with the same layers, batch size, epochs,
 * learning rate, optimizer (Adam) and data, on this machine in one run:
 * scikit-learn's MLPClassifier / MLPRegressor from Debian (python3-sklearn) and
 * from PyPI, and a PyTorch CPU MLP (bench/anchors/torch_train.py), the PyPI
 * ones in the pinned environment of bench/anchors/setup.sh.
 *
 *   npx tsx bench/train-vs-sklearn.ts [--runs 5]
 *
 * Every anchor runs OpenBLAS on the CPU's own kernel (bench/lib/anchors.ts)
 * and PyTorch on as many threads as the machine has cores; the header says
 * which BLAS kernel each one ran (threadpoolctl). Prints a Markdown table of
 * medians; samples/s is rows × epochs ÷ fit seconds. Our time includes scoring
 * the validation split after every epoch, which the anchors do not do.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { rm } from 'node:fs/promises';
import { ModelSchema } from '../pipeline/config/schema.js';
import { initBackend } from '../pipeline/train/backend.js';
import { predictMatrix } from '../pipeline/model/predict-matrix.js';
import { fitNetwork, type TrainingSet } from '../pipeline/train/fit.js';
import { anchorEnv, ensureVenv, moduleVersion, pythons } from './lib/anchors.js';
import {
  pipelineMatrices,
  syntheticMatrices,
  writeMatrices,
  type Matrices,
} from './lib/matrices.js';
import { ensureDebianPackages, run } from './lib/system.js';
import { int, median, num, ratio, runsArg, table } from './lib/table.js';

interface Case {
  name: string;
  data: () => Promise<Matrices> | Matrices;
  layers: number[];
  batch: number;
  epochs: number;
  lr: number;
}

/** A Python trainer: which interpreter runs which script, and the ratio the goal asks against it. */
interface Anchor {
  label: string;
  python: string;
  script: string;
  goal: number;
}

interface Fit {
  seconds: number;
  score: number;
  blas?: Record<string, unknown>[];
  threads?: number;
  cpu_capability?: string;
}

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const THREADS = availableParallelism();

const CASES: Case[] = [
  { name: 'penguins (mlops.yaml)', data: () => pipelineMatrices(here('../mlops.yaml')), layers: [16], batch: 32, epochs: 60, lr: 0.01 }, // prettier-ignore
  { name: 'cars (examples/cars)', data: () => pipelineMatrices(here('../examples/cars/mlops.yaml')), layers: [32, 16], batch: 32, epochs: 150, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 20k×20 regression', data: () => syntheticMatrices('regression', 20_000, 20), layers: [16], batch: 32, epochs: 10, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 20k×20 regression', data: () => syntheticMatrices('regression', 20_000, 20), layers: [64, 32], batch: 256, epochs: 10, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 20k×20 4 classes', data: () => syntheticMatrices('classification', 20_000, 20), layers: [64, 32], batch: 256, epochs: 10, lr: 0.01 }, // prettier-ignore
  { name: 'synthetic 40k×20 regression', data: () => syntheticMatrices('regression', 40_000, 20), layers: [128, 64], batch: 512, epochs: 10, lr: 0.005 }, // prettier-ignore
  { name: 'synthetic 40k×20 4 classes', data: () => syntheticMatrices('classification', 40_000, 20), layers: [128, 64], batch: 512, epochs: 10, lr: 0.005 }, // prettier-ignore
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

async function oursOnce(c: Case, m: Matrices, seed: number): Promise<Fit> {
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

/** One timed fit in a fresh process, after one untimed fit in it. */
async function anchorOnce(
  a: Anchor,
  c: Case,
  m: Matrices,
  dir: string,
  seed: number,
  env: NodeJS.ProcessEnv,
): Promise<Fit> {
  const spec = { dir, task: m.task, inputs: m.inputs, outputs: m.outputs, layers: c.layers, batch: c.batch, epochs: c.epochs, lr: c.lr, threads: THREADS, repeats: 1, warmup: 1, seed }; // prettier-ignore
  const { stdout } = await run(a.python, [a.script, JSON.stringify(spec)], { env });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Fit;
}

/**
 * The trainers take turns, one fit each, so a burst of load from elsewhere on
 * the machine lands on every side rather than on one.
 */
async function compare(
  c: Case,
  m: Matrices,
  anchors: Anchor[],
  runs: number,
  env: NodeJS.ProcessEnv,
) {
  const dir = await writeMatrices(m);
  try {
    await oursOnce(c, m, 0); // warm-up
    const ours: Fit[] = [];
    const theirs: Fit[][] = anchors.map(() => []);
    for (let r = 1; r <= runs; r++) {
      ours.push(await oursOnce(c, m, r));
      for (const [i, a] of anchors.entries())
        theirs[i]!.push(await anchorOnce(a, c, m, dir, r, env));
    }
    return { ours, theirs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function findAnchors(): Promise<Anchor[]> {
  const anchors: Anchor[] = [];
  for (const { source, python } of pythons()) {
    const sklearn = await moduleVersion(python, 'sklearn');
    if (sklearn)
      anchors.push({ label: `sklearn ${sklearn} ${source}`, python, script: here('anchors/sklearn_train.py'), goal: 1.5 }); // prettier-ignore
    const torch = await moduleVersion(python, 'torch');
    if (torch)
      anchors.push({ label: `PyTorch ${torch.replace(/\+.*/, '')} ${source}`, python, script: here('anchors/torch_train.py'), goal: 1.0 }); // prettier-ignore
  }
  return anchors;
}

/** What ran inside an anchor's process: BLAS/OpenMP libraries, kernel, threads. */
function describe(a: Anchor, fit: Fit): string {
  const libs = (fit.blas ?? []).map((b) =>
    [b.internal_api, b.architecture, b.version, `${String(b.num_threads)} threads`, b.library]
      .filter((x) => x !== undefined && x !== '')
      .join(' '),
  );
  const torch =
    fit.threads !== undefined ? [`torch threads ${fit.threads}, CPU capability ${fit.cpu_capability}`] : []; // prettier-ignore
  return `- ${a.label} (${a.python}): ${[...torch, ...libs].join('; ') || 'no BLAS reported'}`;
}

const runs = runsArg(5);
await ensureDebianPackages(['python3-sklearn', 'python3-threadpoolctl']);
await ensureVenv();
const { env, coretype } = await anchorEnv();
const anchors = await findAnchors();
await initBackend();
const rows: string[][] = [];
const seen = new Map<Anchor, Fit>();
const short: string[] = [];
for (const c of CASES) {
  const m = await c.data();
  const samples = m.train.rows * c.epochs;
  const { ours, theirs } = await compare(c, m, anchors, runs, env);
  const oursRate = samples / median(ours.map((r) => r.seconds));
  const rates = theirs.map((fits) => samples / median(fits.map((r) => r.seconds)));
  anchors.forEach((a, i) => seen.set(a, theirs[i]![0]!));
  const metric = m.task === 'classification' ? 'accuracy' : 'r2';
  const scores = [ours, ...theirs].map((fits) => num(median(fits.map((r) => r.score)), 3));
  const label = `${c.name} [${c.layers.join(', ')}] batch ${c.batch}`;
  anchors.forEach((a, i) => {
    if (oursRate / rates[i]! < a.goal) short.push(`${label} vs ${a.label}: ${ratio(oursRate / rates[i]!)} (goal ${ratio(a.goal)})`); // prettier-ignore
  });
  rows.push([
    c.name,
    `[${c.layers.join(', ')}]`,
    String(c.batch),
    String(c.epochs),
    int(m.train.rows),
    int(oursRate),
    ...rates.flatMap((rate) => [int(rate), ratio(oursRate / rate)]),
    `${metric} ${scores.join(' / ')}`,
  ]);
  process.stderr.write(`${label}: ${rates.map((r, i) => `${ratio(oursRate / r)} vs ${anchors[i]!.label}`).join(', ')}\n`); // prettier-ignore
}
console.log(`Anchors (${coretype}):`);
for (const a of anchors) console.log(describe(a, seen.get(a)!));
console.log('');
console.log(
  table(
    [
      'Data',
      'Layers',
      'Batch',
      'Epochs',
      'Train rows',
      'mlops samples/s',
      ...anchors.flatMap((a) => [`${a.label} samples/s`, `vs ${a.label}`]),
      `Test score (mlops / ${anchors.map((a) => a.label).join(' / ')})`,
    ],
    rows,
  ),
);
console.log(
  `\nMedians of ${runs} runs each; Node ${process.versions.node}; mlops single-threaded (WebAssembly SIMD), anchors on ${THREADS} cores.`,
);
console.log(
  short.length
    ? `Goal (≥ 1.5× scikit-learn, ≥ 1.0× PyTorch) missed on ${short.length}:\n${short.map((s) => `- ${s}`).join('\n')}`
    : 'Goal (≥ 1.5× scikit-learn, ≥ 1.0× PyTorch) met on every row.',
);
