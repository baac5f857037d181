import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelSchema } from '../../pipeline/config/schema.js';
import { initBackend } from '../../pipeline/train/backend.js';
import { predictMatrix } from '../../pipeline/model/predict-matrix.js';
import { fitNetwork, type TrainingSet } from '../../pipeline/train/fit.js';

// Two interleaved half-moons-like classes: separable by a small MLP, not by a line.
function classes(rows: number, seed: number): TrainingSet {
  let s = seed;
  const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  const x = new Float32Array(rows * 2);
  const y = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const a = rand();
    const b = rand();
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a * a + b * b < 0.4 ? 0 : a > 0 ? 1 : 2;
  }
  return { x, y, rows };
}

function values(rows: number, seed: number): TrainingSet {
  const set = classes(rows, seed);
  const y = new Float32Array(rows);
  for (let i = 0; i < rows; i++) y[i] = Math.sin(3 * set.x[2 * i]!) + set.x[2 * i + 1]! ** 2;
  return { x: set.x, y, rows };
}

beforeAll(async () => {
  await initBackend();
});

describe('fitNetwork', () => {
  it('gives the same weights twice for the same seed', async () => {
    const model = ModelSchema.parse({
      task: 'classification',
      layers: [8],
      dropout: 0.2,
      epochs: 5,
    });
    const run = async () => {
      const fit = await fitNetwork({
        model,
        seed: 3,
        inputSize: 2,
        outputs: 3,
        train: classes(300, 1),
        validation: classes(60, 2),
      });
      const weights = fit.network.getWeights().map((w) => Array.from(w.dataSync()));
      fit.network.dispose();
      return { weights, history: fit.history };
    };
    expect(await run()).toEqual(await run());
  });

  it('leaves a LayersModel that predicts, in tfjs and in predictMatrix, what training scored', async () => {
    for (const activation of ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'swish', 'gelu'] as const) {
      const model = ModelSchema.parse({
        task: 'regression',
        layers: [16, 8],
        activation,
        epochs: 20,
        patience: 0,
      });
      const validation = values(100, 9);
      const fit = await fitNetwork({
        model,
        seed: 1,
        inputSize: 2,
        outputs: 1,
        train: values(400, 8),
        validation,
      });
      // Through tfjs itself, as any other tfjs runtime would load and run it.
      const out = tf.tidy(
        () =>
          (
            fit.network.predict(tf.tensor2d(validation.x, [validation.rows, 2])) as tf.Tensor
          ).dataSync() as Float32Array,
      );
      const fast = predictMatrix(fit.network, validation.x, validation.rows, 2);
      fast.forEach((v, i) => expect(v, activation).toBeCloseTo(out[i]!, 5));
      let mse = 0;
      for (let i = 0; i < validation.rows; i++) mse += (out[i]! - validation.y[i]!) ** 2;
      mse /= validation.rows;
      const kept = fit.history[fit.bestEpoch - 1]!.val_loss;
      expect(mse, activation).toBeCloseTo(kept, 4);
      fit.network.dispose();
    }
  });

  it('predicts class probabilities as tfjs does, dropout off at inference', async () => {
    const model = ModelSchema.parse({
      task: 'classification',
      layers: [12, 6],
      activation: 'tanh',
      dropout: 0.3,
      epochs: 10,
    });
    const test = classes(50, 11);
    const fit = await fitNetwork({
      model,
      seed: 8,
      inputSize: 2,
      outputs: 3,
      train: classes(200, 12),
      validation: classes(50, 13),
    });
    const viaTfjs = tf.tidy(
      () =>
        (
          fit.network.predict(tf.tensor2d(test.x, [test.rows, 2])) as tf.Tensor
        ).dataSync() as Float32Array,
    );
    const fast = predictMatrix(fit.network, test.x, test.rows, 2);
    expect(fast.length).toBe(test.rows * 3);
    fast.forEach((v, i) => expect(v).toBeCloseTo(viaTfjs[i]!, 5));
    fit.network.dispose();
  });

  it('learns a non-linear boundary with every optimizer', async () => {
    for (const optimizer of ['adam', 'sgd', 'rmsprop', 'adagrad'] as const) {
      const model = ModelSchema.parse({
        task: 'classification',
        layers: [16],
        optimizer,
        learning_rate: optimizer === 'sgd' ? 0.3 : 0.02,
        epochs: 60,
        batch_size: 16,
        patience: 0,
      });
      const test = classes(200, 7);
      const fit = await fitNetwork({
        model,
        seed: 5,
        inputSize: 2,
        outputs: 3,
        train: classes(600, 6),
        validation: classes(100, 4),
      });
      const probs = predictMatrix(fit.network, test.x, test.rows, 2);
      let right = 0;
      for (let i = 0; i < test.rows; i++) {
        const row = Array.from(probs.subarray(3 * i, 3 * i + 3));
        if (row.indexOf(Math.max(...row)) === test.y[i]) right++;
      }
      expect(right / test.rows, optimizer).toBeGreaterThan(0.85);
      expect(fit.history.at(-1)!.loss, optimizer).toBeLessThan(fit.history[0]!.loss);
      fit.network.dispose();
    }
  });

  it('stops early and keeps the weights of the best validation epoch', async () => {
    const model = ModelSchema.parse({
      task: 'regression',
      layers: [32],
      learning_rate: 0.05,
      epochs: 200,
      patience: 3,
    });
    const fit = await fitNetwork({
      model,
      seed: 2,
      inputSize: 2,
      outputs: 1,
      train: values(40, 3),
      validation: values(40, 4),
    });
    expect(fit.stoppedEarly).toBe(true);
    const losses = fit.history.map((h) => h.val_loss);
    expect(fit.history[fit.bestEpoch - 1]!.val_loss).toBe(Math.min(...losses));
    expect(fit.history.length - fit.bestEpoch).toBe(3);
    fit.network.dispose();
  });
});
