import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { takeRows } from '../../pipeline/data/table.js';
import { encodeTarget, transformTable } from '../../pipeline/prepare/preprocess.js';
import { openRun } from '../../pipeline/run/context.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { train, type TrainOutcome } from '../../pipeline/train/train.js';
import { penguinsProject, type TempProject } from '../helpers/project.js';

let project: TempProject;

beforeAll(async () => {
  project = await penguinsProject();
  await initBackend();
});
afterAll(() => project.remove());

async function trainWith(overrides: string[]): Promise<TrainOutcome> {
  const ctx = await openRun(project.path('mlops.yaml'), overrides);
  return train({ config: ctx.loaded.config, dataset: ctx.dataset, split: ctx.split });
}

function weightsOf(network: tfl.LayersModel): number[][] {
  return network.getWeights().map((w) => Array.from(w.dataSync()));
}

describe('train', () => {
  it('gives the same weights and history twice for a seed, other weights for another seed', async () => {
    const settings = ['model.epochs=15'];
    const a = await trainWith(settings);
    const b = await trainWith(settings);
    const c = await trainWith([...settings, 'split.seed=7']);
    expect(b.fit.history).toEqual(a.fit.history);
    expect(weightsOf(b.network)).toEqual(weightsOf(a.network));
    expect(b.validation.metrics).toEqual(a.validation.metrics);
    expect(weightsOf(c.network)).not.toEqual(weightsOf(a.network));
    for (const o of [a, b, c]) o.network.dispose();
  });

  it('is seeded with dropout too', async () => {
    const settings = ['model.epochs=8', 'model.dropout=0.3', 'model.layers=[16,8]'];
    const a = await trainWith(settings);
    const b = await trainWith(settings);
    expect(weightsOf(b.network)).toEqual(weightsOf(a.network));
    expect(b.fit.history).toEqual(a.fit.history);
    a.network.dispose();
    b.network.dispose();
  });

  it('learns the penguins: validation accuracy of the bundled config', async () => {
    const outcome = await trainWith([]);
    expect(outcome.validation.metrics['accuracy']).toBeGreaterThanOrEqual(0.95);
    expect(outcome.rows).toEqual({ train: 223, validation: 52, test: 69 });
    // The loss falls: the last epoch is far below the first.
    const h = outcome.fit.history;
    expect(h.at(-1)!.loss).toBeLessThan(h[0]!.loss / 5);
    outcome.network.dispose();
  });

  it('stops early and restores the weights of the best validation epoch', async () => {
    const patience = 3;
    const epochs = 300;
    const ctx = await openRun(project.path('mlops.yaml'), [
      'model.learning_rate=0.1',
      `model.epochs=${epochs}`,
      `model.patience=${patience}`,
    ]);
    const outcome = await train({
      config: ctx.loaded.config,
      dataset: ctx.dataset,
      split: ctx.split,
    });
    const { history, bestEpoch, stoppedEarly } = outcome.fit;
    expect(stoppedEarly).toBe(true);
    expect(history.length).toBeLessThan(epochs);
    const losses = history.map((h) => h.val_loss);
    expect(bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    expect(history.length).toBe(bestEpoch + patience);
    // The network returned is the best epoch's, not the last one's.
    const valRows = takeRows(ctx.dataset.table, ctx.split.validation);
    const pre = outcome.preprocess;
    // The saved network's own predictions, through tfjs, scored as training scores them.
    const k = ctx.dataset.classes.length;
    const proba = tf.tidy(() =>
      (
        outcome.network.predict(
          tf.tensor2d(transformTable(pre, valRows), [valRows.rowCount, pre.inputSize]),
        ) as tf.Tensor
      ).dataSync(),
    );
    const y = encodeTarget(pre, valRows);
    let sum = 0;
    for (let i = 0; i < valRows.rowCount; i++)
      sum -= Math.log(Math.min(Math.max(proba[i * k + y[i]!]!, 1e-7), 1 - 1e-7));
    const loss = sum / valRows.rowCount;
    expect(loss).toBeCloseTo(history[bestEpoch - 1]!.val_loss, 5);
    expect(loss).toBeLessThan(history.at(-1)!.val_loss);
    outcome.network.dispose();
  });

  it('never stops early with patience 0', async () => {
    const outcome = await trainWith([
      'model.learning_rate=0.1',
      'model.epochs=12',
      'model.patience=0',
    ]);
    expect(outcome.fit.stoppedEarly).toBe(false);
    expect(outcome.fit.history.map((h) => h.epoch)).toEqual(
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    outcome.network.dispose();
  });

  it('trains a linear model with no hidden layer', async () => {
    const outcome = await trainWith([
      'model.kind=linear',
      'model.epochs=30',
      'model.learning_rate=0.05',
    ]);
    // One dense layer: kernel and bias.
    expect(outcome.network.getWeights().map((w) => w.shape)).toEqual([
      [outcome.preprocess.inputSize, 3],
      [3],
    ]);
    expect(outcome.validation.metrics['accuracy']).toBeGreaterThanOrEqual(0.9);
    outcome.network.dispose();
  });
});
