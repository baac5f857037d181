/**
 * Training matrices shared by our trainer and the scikit-learn anchor: the
 * pipeline's own preprocessing of a config's data, or a seeded synthetic set.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import seedrandom from 'seedrandom';
import { takeRows } from '../../pipeline/data/table.js';
import { encodeTarget, fitPreprocess, transformTable } from '../../pipeline/prepare/preprocess.js';
import { openRun } from '../../pipeline/run/context.js';
import type { TrainingSet } from '../../pipeline/train/fit.js';

export interface Matrices {
  task: 'classification' | 'regression';
  inputs: number;
  outputs: number;
  train: TrainingSet;
  validation: TrainingSet;
  test: TrainingSet;
}

/** The train/validation/test matrices `mlops run` trains on for this config. */
export async function pipelineMatrices(configPath: string): Promise<Matrices> {
  const ctx = await openRun(configPath);
  const { config } = ctx.loaded;
  const part = (indices: ArrayLike<number>) => takeRows(ctx.dataset.table, indices);
  const pre = fitPreprocess(part(ctx.split.train), config, ctx.dataset.classes);
  const set = (indices: ArrayLike<number>): TrainingSet => {
    const rows = part(indices);
    return { x: transformTable(pre, rows), y: encodeTarget(pre, rows), rows: rows.rowCount };
  };
  return {
    task: config.model.task,
    inputs: pre.inputSize,
    outputs: config.model.task === 'classification' ? ctx.dataset.classes.length : 1,
    train: set(ctx.split.train),
    validation: set(ctx.split.validation),
    test: set(ctx.split.test),
  };
}

/**
 * `rows` rows of `inputs` uniform features; the target is a sum of sines of
 * them (regression) or its quartile (4 classes): learnable, not linear.
 */
export function syntheticMatrices(
  task: Matrices['task'],
  rows: number,
  inputs: number,
  seed = 1,
): Matrices {
  const random = seedrandom.alea(`synthetic:${seed}`);
  const make = (n: number): TrainingSet => {
    const x = new Float32Array(n * inputs);
    const value = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < inputs; j++) {
        const v = random() * 2 - 1;
        x[i * inputs + j] = v;
        t += Math.sin(v * (1 + (j % 5)));
      }
      value[i] = t / Math.sqrt(inputs);
    }
    if (task === 'regression') return { x, y: value, rows: n };
    // Thresholds near the quartiles of a sum of independent terms (about normal).
    const y = Int32Array.from(value, (v) => (v < -0.45 ? 0 : v < 0 ? 1 : v < 0.45 ? 2 : 3));
    return { x, y, rows: n };
  };
  return {
    task,
    inputs,
    outputs: task === 'classification' ? 4 : 1,
    train: make(rows),
    validation: make(Math.round(rows / 10)),
    test: make(Math.round(rows / 5)),
  };
}

/** Write the matrices as raw little-endian arrays for numpy.fromfile; returns the folder. */
export async function writeMatrices(m: Matrices): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mlops-bench-train-'));
  const ext = m.task === 'classification' ? 'i32' : 'f32';
  const bytes = (a: Float32Array | Int32Array) =>
    new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  await writeFile(join(dir, 'x_train.f32'), bytes(m.train.x));
  await writeFile(join(dir, `y_train.${ext}`), bytes(m.train.y));
  await writeFile(join(dir, 'x_test.f32'), bytes(m.test.x));
  await writeFile(join(dir, `y_test.${ext}`), bytes(m.test.y));
  return dir;
}
