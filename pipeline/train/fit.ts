/**
 * The training loop: seeded mini-batches, one optimizer step per batch, early
 * stopping on the validation loss with the best weights restored.
 *
 * A hand-written loop rather than model.fit: fit shuffles with an unseeded
 * Math.random, reads every batch's loss back synchronously and runs its callback
 * machinery per batch; here the data are gathered once per epoch and the loss is
 * read once per epoch.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';
import type { ModelConfig } from '../config/schema.js';
import { shuffleInPlace } from '../data/split.js';
import { buildNetwork, lossOf, makeOptimizer } from './network.js';
import { withSeededRandom } from './seeded-random.js';

export interface TrainingSet {
  /** Row-major inputs, rows × inputSize. */
  x: Float32Array;
  /** Class indices (classification) or standardised targets (regression). */
  y: Int32Array | Float32Array;
  rows: number;
}

export interface EpochLog {
  epoch: number;
  loss: number;
  val_loss: number;
}

export interface FitOptions {
  model: ModelConfig;
  seed: number;
  inputSize: number;
  /** Classes for classification, 1 for regression. */
  outputs: number;
  train: TrainingSet;
  validation: TrainingSet;
  onEpoch?: (log: EpochLog, epochs: number) => void | Promise<void>;
}

export interface FitResult {
  network: tfl.LayersModel;
  history: EpochLog[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  stoppedEarly: boolean;
  seconds: number;
  samplesPerSecond: number;
}

export function toTensors(
  set: TrainingSet,
  inputSize: number,
  task: ModelConfig['task'],
  outputs: number,
): { x: tf.Tensor2D; y: tf.Tensor2D } {
  return tf.tidy(() => ({
    x: tf.tensor2d(set.x, [set.rows, inputSize]),
    y:
      task === 'classification'
        ? (tf.cast(
            tf.oneHot(tf.tensor1d(set.y as Int32Array, 'int32'), outputs),
            'float32',
          ) as tf.Tensor2D)
        : tf.tensor2d(set.y as Float32Array, [set.rows, 1]),
  }));
}

export async function fitNetwork(options: FitOptions): Promise<FitResult> {
  const { model, seed, inputSize, outputs, train, validation } = options;
  return withSeededRandom(seed, async () => {
    const started = performance.now();
    const network = buildNetwork(model, inputSize, outputs, seed);
    const optimizer = makeOptimizer(model);
    const trainT = toTensors(train, inputSize, model.task, outputs);
    const valT = toTensors(validation, inputSize, model.task, outputs);
    const order = Int32Array.from({ length: train.rows }, (_, i) => i);
    const random = seedrandom.alea(`batches:${seed}`);
    const batch = Math.min(model.batch_size, train.rows);
    const history: EpochLog[] = [];
    let best = { loss: Infinity, epoch: 0, weights: [] as tf.Tensor[] };
    let stoppedEarly = false;
    let samples = 0;
    try {
      for (let epoch = 1; epoch <= model.epochs; epoch++) {
        shuffleInPlace(order, random);
        const lossSum = tf.tidy(() => {
          const idx = tf.tensor1d(order, 'int32');
          const xs = tf.gather(trainT.x, idx);
          const ys = tf.gather(trainT.y, idx);
          let sum: tf.Tensor = tf.scalar(0);
          for (let start = 0; start < train.rows; start += batch) {
            const size = Math.min(batch, train.rows - start);
            const xb = tf.slice(xs, [start, 0], [size, -1]);
            const yb = tf.slice(ys, [start, 0], [size, -1]);
            const cost = optimizer.minimize(
              () => lossOf(model.task, yb, network.apply(xb, { training: true }) as tf.Tensor),
              true,
            )!;
            sum = tf.add(sum, tf.mul(cost, size));
          }
          return sum;
        });
        const loss = (await lossSum.data())[0]! / train.rows;
        lossSum.dispose();
        samples += train.rows;
        const valLossT = tf.tidy(() =>
          lossOf(model.task, valT.y, network.predict(valT.x) as tf.Tensor),
        );
        const val_loss = (await valLossT.data())[0]!;
        valLossT.dispose();
        const log = { epoch, loss, val_loss };
        history.push(log);
        await options.onEpoch?.(log, model.epochs);
        if (val_loss < best.loss) {
          best.weights.forEach((w) => w.dispose());
          best = { loss: val_loss, epoch, weights: network.getWeights().map((w) => w.clone()) };
        } else if (model.patience > 0 && epoch - best.epoch >= model.patience) {
          stoppedEarly = true;
          break;
        }
      }
      if (best.weights.length) network.setWeights(best.weights);
    } finally {
      best.weights.forEach((w) => w.dispose());
      tf.dispose([trainT.x, trainT.y, valT.x, valT.y]);
      optimizer.dispose();
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      network,
      history,
      bestEpoch: best.epoch,
      stoppedEarly,
      seconds,
      samplesPerSecond: samples / seconds,
    };
  });
}

/** Model outputs for row-major inputs: class probabilities, or standardised values. */
export function predictMatrix(
  network: tfl.LayersModel,
  x: Float32Array,
  rows: number,
  inputSize: number,
): Float32Array {
  return tf.tidy(() => {
    const out = network.predict(tf.tensor2d(x, [rows, inputSize])) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
}
