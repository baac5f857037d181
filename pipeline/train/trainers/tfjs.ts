/**
 * kind tfjs: the team's model module builds the network and tfjs model.fit
 * trains it, on the backend the process loaded (backend.ts). The batch order
 * is seeded here; the builder receives the seed for its initialisers. Early
 * stopping keeps the weights of the epoch with the best validation loss, as
 * the dense engine does. A model that takes one input per feature trains and
 * is saved behind the layers that read its features out of the encoded row
 * (feature-model.ts), so it is fed the same rows as any other.
 */
import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';
import { shuffleInPlace } from '../../data/split.js';
import { featureInputs } from '../../prepare/feature-inputs.js';
import { DivergedError, type EpochLog, type TrainingSet } from '../fit.js';
import { readingFeatures } from './feature-model.js';
import { buildModel, loadModelModule, moduleParams } from './model-module.js';
import type { Trainer } from './types.js';

function optimizerFor(name: string, learningRate: number): tf.Optimizer {
  if (name === 'sgd') return tf.train.sgd(learningRate);
  if (name === 'rmsprop') return tf.train.rmsprop(learningRate);
  if (name === 'adagrad') return tf.train.adagrad(learningRate);
  return tf.train.adam(learningRate);
}

function tensors(set: TrainingSet, inputSize: number, outputs: number, classification: boolean) {
  const x = tf.tensor2d(set.x, [set.rows, inputSize]);
  const y = classification
    ? tf.tidy(() =>
        tf.cast(tf.oneHot(tf.tensor1d(set.y as Int32Array, 'int32'), outputs), 'float32'),
      )
    : tf.tensor2d(set.y as Float32Array, [set.rows, 1]);
  return { x, y };
}

function scalarOf(value: tf.Scalar | tf.Scalar[]): number {
  const first = Array.isArray(value) ? value[0]! : value;
  const v = first.dataSync()[0]!;
  tf.dispose(value);
  return v;
}

export const tfjsTrainer: Trainer = {
  codeEntries: (model) => (model.module ? [model.module] : []),
  async fit(input) {
    const { model: config, seed, inputSize, outputs, dir, preprocess } = input;
    const module = config.module!;
    const classification = config.task === 'classification';
    const mod = await loadModelModule(dir, module);
    const built = buildModel(mod, module, dir, [
      { size: inputSize, features: featureInputs(preprocess) },
      config.task,
      outputs,
      moduleParams(mod, module, config.params ?? {}),
      { seed },
    ]);
    const network = mod.inputs === 'features' ? readingFeatures(built, preprocess) : built;
    const started = performance.now();
    const train = tensors(input.train, inputSize, outputs, classification);
    const validation = tensors(input.validation, inputSize, outputs, classification);
    let best: { loss: number; epoch: number; weights: tf.Tensor[] } = {
      loss: Infinity,
      epoch: 0,
      weights: [],
    };
    try {
      network.compile({
        optimizer: optimizerFor(config.optimizer, config.learning_rate),
        loss: mod.loss ?? (classification ? 'categoricalCrossentropy' : 'meanSquaredError'),
        metrics: mod.metrics,
      });
      const order = Int32Array.from({ length: input.train.rows }, (_, i) => i);
      const random = seedrandom.alea(`batches:${seed}`);
      const history: EpochLog[] = [];
      let stoppedEarly = false;
      for (let epoch = 1; epoch <= config.epochs; epoch++) {
        input.signal?.throwIfAborted();
        shuffleInPlace(order, random);
        const indices = tf.tensor1d(order, 'int32');
        const xs = tf.gather(train.x, indices);
        const ys = tf.gather(train.y, indices);
        let loss: number;
        try {
          const fitted = await network.fit(xs, ys, {
            epochs: 1,
            batchSize: config.batch_size,
            shuffle: false,
            verbose: 0,
          });
          loss = Number(fitted.history.loss?.[0]);
        } finally {
          tf.dispose([indices, xs, ys]);
        }
        const val_loss = scalarOf(
          network.evaluate(validation.x, validation.y, { batchSize: 1024 }) as tf.Scalar,
        );
        if (!Number.isFinite(loss)) throw new DivergedError(epoch, loss);
        if (!Number.isFinite(val_loss)) throw new DivergedError(epoch, val_loss);
        const log = { epoch, loss, val_loss };
        history.push(log);
        await input.onEpoch?.(log, config.epochs);
        if (val_loss < best.loss) {
          tf.dispose(best.weights);
          best = { loss: val_loss, epoch, weights: network.getWeights().map((w) => w.clone()) };
        } else if (config.patience > 0 && epoch - best.epoch >= config.patience) {
          stoppedEarly = true;
          break;
        }
      }
      if (best.epoch) network.setWeights(best.weights);
      const seconds = (performance.now() - started) / 1000;
      return {
        network,
        history,
        bestEpoch: best.epoch,
        stoppedEarly,
        seconds,
        samplesPerSecond: (history.length * input.train.rows) / seconds,
        lineage: {
          trainer: 'tfjs',
          backend: tf.getBackend(),
          files: mod.files,
          ...(mod.inputs === 'features' ? { inputs: 'features' as const } : {}),
          ...(mod.layers ? { layers: mod.layers } : {}),
        },
      };
    } catch (error) {
      network.dispose();
      throw error;
    } finally {
      tf.dispose([train.x, train.y, validation.x, validation.y, ...best.weights]);
    }
  },
};
