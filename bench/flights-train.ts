/**
 * Scale: training on vega-datasets' flights-3m (3 million flights) within
 * bounded memory. Predicts the arrival delay (minutes) from the distance and
 * the time of day, week and year of the flight, with the same network in our
 * trainer and in scikit-learn's MLPRegressor; reports samples/s and the peak
 * RSS of each process.
 *
 *   npx tsx bench/flights-train.ts [--runs 1] [--epochs 3]
 *
 * Goal: under 2 GB peak RSS. Delays are mostly noise to these features, so R²
 * is low for both; it is printed to show the two learned the same thing.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { ModelSchema } from '../pipeline/config/schema.js';
import { initBackend } from '../pipeline/train/backend.js';
import { predictMatrix } from '../pipeline/model/predict-matrix.js';
import { fitNetwork, type TrainingSet } from '../pipeline/train/fit.js';
import { anchorEnv } from './lib/anchors.js';
import { writeMatrices } from './lib/matrices.js';
import { ensureDebianPackages, PYTHON, run } from './lib/system.js';
import { int, median, num, runsArg, table } from './lib/table.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const PARQUET = here('../node_modules/vega-datasets/data/flights-3m.parquet');
const INPUTS = 7;
const LAYERS = [32, 16];
const BATCH = 512;
const LR = 0.005;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/**
 * Features streamed out of DuckDB chunk by chunk into Float32Arrays, so no
 * per-row JavaScript objects ever exist: cyclic hour, weekday and day of year,
 * and log distance; the target is the delay. Every 10th flight (by a hash of
 * its row) is held out for testing.
 */
async function loadFlights(): Promise<{ train: TrainingSet; test: TrainingSet }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const count = Number(
    (await conn.runAndReadAll(`SELECT count(*) FROM read_parquet('${PARQUET}') WHERE delay IS NOT NULL AND distance > 0`)).getRows()[0]![0], // prettier-ignore
  );
  const result = await conn.stream(`
    SELECT
      hour(date) + minute(date) / 60.0 AS hour,
      isodow(date) AS dow,
      dayofyear(date) AS doy,
      ln(distance) AS log_distance,
      delay::DOUBLE AS delay,
      hash(row_number() OVER ()) % 10 = 0 AS test
    FROM read_parquet('${PARQUET}') WHERE delay IS NOT NULL AND distance > 0`);
  const x = new Float32Array(count * INPUTS);
  const y = new Float32Array(count);
  const isTest = new Uint8Array(count);
  let row = 0;
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount;
    chunk = await result.fetchChunk()
  ) {
    const cols = [0, 1, 2, 3, 4, 5].map((i) => chunk.getColumnValues(i));
    for (let r = 0; r < chunk.rowCount; r++, row++) {
      const hour = (2 * Math.PI * Number(cols[0]![r])) / 24;
      const dow = (2 * Math.PI * Number(cols[1]![r])) / 7;
      const doy = (2 * Math.PI * Number(cols[2]![r])) / 366;
      x.set([Math.sin(hour), Math.cos(hour), Math.sin(dow), Math.cos(dow), Math.sin(doy), Math.cos(doy), Number(cols[3]![r])], row * INPUTS); // prettier-ignore
      y[row] = Number(cols[4]![r]);
      isTest[row] = cols[5]![r] ? 1 : 0;
    }
  }
  conn.closeSync();
  // Standardise log distance and the delay on all rows (a benchmark, not a model to ship).
  const standardise = (get: (i: number) => number, set: (i: number, v: number) => void) => {
    let mean = 0;
    for (let i = 0; i < count; i++) mean += get(i) / count;
    let variance = 0;
    for (let i = 0; i < count; i++) variance += (get(i) - mean) ** 2 / count;
    const std = Math.sqrt(variance) || 1;
    for (let i = 0; i < count; i++) set(i, (get(i) - mean) / std);
  };
  standardise(
    (i) => x[i * INPUTS + 6]!,
    (i, v) => (x[i * INPUTS + 6] = v),
  );
  standardise(
    (i) => y[i]!,
    (i, v) => (y[i] = v),
  );
  const testRows = isTest.reduce((a, b) => a + b, 0);
  const split = (want: number, rows: number): TrainingSet => {
    const sx = new Float32Array(rows * INPUTS);
    const sy = new Float32Array(rows);
    for (let i = 0, j = 0; i < count; i++)
      if (isTest[i] === want) {
        sx.set(x.subarray(i * INPUTS, (i + 1) * INPUTS), j * INPUTS);
        sy[j++] = y[i]!;
      }
    return { x: sx, y: sy, rows };
  };
  return { train: split(0, count - testRows), test: split(1, testRows) };
}

function r2(predicted: Float32Array, set: TrainingSet): number {
  let mean = 0;
  for (let i = 0; i < set.rows; i++) mean += set.y[i]! / set.rows;
  let res = 0;
  let tot = 0;
  for (let i = 0; i < set.rows; i++) {
    res += (set.y[i]! - predicted[i]!) ** 2;
    tot += (set.y[i]! - mean) ** 2;
  }
  return 1 - res / tot;
}

const runs = runsArg(1);
const epochs = arg('--epochs', 3);
await ensureDebianPackages(['python3-sklearn']);
await initBackend();
const loadStart = performance.now();
const data = await loadFlights();
const loadSeconds = (performance.now() - loadStart) / 1000;
process.stderr.write(
  `loaded ${int(data.train.rows)} train, ${int(data.test.rows)} test rows in ${num(loadSeconds)} s\n`,
);
const model = ModelSchema.parse({ task: 'regression', layers: LAYERS, batch_size: BATCH, epochs, learning_rate: LR, patience: 0 }); // prettier-ignore
// Validation loss is computed after every epoch on a slice of the test rows.
const validation: TrainingSet = { x: data.test.x.subarray(0, 50_000 * INPUTS), y: data.test.y.subarray(0, 50_000), rows: Math.min(50_000, data.test.rows) }; // prettier-ignore
const ours: { seconds: number; score: number }[] = [];
for (let r = 0; r < runs; r++) {
  const fit = await fitNetwork({
    model,
    seed: r + 1,
    inputSize: INPUTS,
    outputs: 1,
    train: data.train,
    validation,
  });
  ours.push({ seconds: fit.seconds, score: r2(predictMatrix(fit.network, data.test.x, data.test.rows, INPUTS), data.test) }); // prettier-ignore
  fit.network.dispose();
  process.stderr.write(`mlops: ${num(fit.seconds)} s\n`);
}
const ourPeak = process.resourceUsage().maxRSS / 1024;

const dir = await writeMatrices({
  task: 'regression',
  inputs: INPUTS,
  outputs: 1,
  train: data.train,
  validation,
  test: data.test,
});
let theirs: { seconds: number; score: number; peak_rss_mb: number }[];
try {
  const spec = { dir, task: 'regression', inputs: INPUTS, layers: LAYERS, batch: BATCH, epochs, lr: LR, repeats: runs }; // prettier-ignore
  // OpenBLAS on the CPU's own kernel, as in train-vs-sklearn.ts.
  const { env } = await anchorEnv();
  const { stdout } = await run(PYTHON, [here('anchors/sklearn_train.py'), JSON.stringify(spec)], {
    env,
  });
  theirs = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as (typeof theirs)[number]);
} finally {
  await rm(dir, { recursive: true, force: true });
}
const samples = data.train.rows * epochs;
const oursRate = samples / median(ours.map((o) => o.seconds));
const theirRate = samples / median(theirs.map((o) => o.seconds));
const theirPeak = Math.max(...theirs.map((t) => t.peak_rss_mb));
console.log(
  table(
    ['Trainer', 'Train rows', 'Epochs', 'Fit s', 'Samples/s', 'Peak RSS MB', 'Test R²'],
    [
      ['mlops', int(data.train.rows), String(epochs), num(median(ours.map((o) => o.seconds))), int(oursRate), `${int(ourPeak)} ${ourPeak < 2048 ? '✅' : '❌'}`, num(median(ours.map((o) => o.score)), 4)], // prettier-ignore
      ['scikit-learn', int(data.train.rows), String(epochs), num(median(theirs.map((o) => o.seconds))), int(theirRate), int(theirPeak), num(median(theirs.map((o) => o.score)), 4)], // prettier-ignore
    ],
  ),
);
console.log(
  `\nRatio (mlops ÷ scikit-learn) samples/s: ${num(oursRate / theirRate)}×. Layers [${LAYERS.join(', ')}], batch ${BATCH}, Adam lr ${LR}; loading and featurising with DuckDB took ${num(loadSeconds)} s (in the mlops process's peak). Goal: peak RSS < 2048 MB. Medians of ${runs} run(s).`,
);
