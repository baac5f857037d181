/**
 * The training loop: seeded mini-batches, one optimizer step per batch, early
 * stopping on the validation loss with the best weights restored.
 *
 * The loop runs on plain Float32Arrays (model/backprop.ts), not on TensorFlow.js ops:
 * a small MLP does little arithmetic per batch, and tfjs spent most of each
 * step dispatching and allocating its ~60 tensors (the wasm backend trained at
 * about 0.1× scikit-learn's speed; this loop is faster than scikit-learn, see
 * docs/benchmarks.md). The network is still built and initialised by
 * tfjs-layers (network.ts) and receives the trained weights at the end, so the
 * saved model is a standard LayersModel that predicts what training computed.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import seedrandom from 'seedrandom';
import { parameterCount } from '../config/limits.js';
import type { ModelConfig } from '../config/schema.js';
import { shuffleInPlace } from '../data/split.js';
import { DenseStack } from '../model/backprop.js';
import { buildNetwork } from './network.js';
import { makeOptimizer } from './optimizers.js';
import { Yielder } from './yielder.js';

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
  /** Stops training at the next pause (within about 50 ms), throwing its reason. */
  signal?: AbortSignal;
  /** false: the JavaScript matrix kernel even where WebAssembly SIMD loads (matmul.ts). */
  useWasm?: boolean;
}

/** The loss became NaN or infinite: the weights are lost, most often to a too-large learning rate. */
export class DivergedError extends Error {
  override readonly name = 'DivergedError';

  constructor(
    readonly epoch: number,
    readonly loss: number,
  ) {
    super(`training diverged: the loss became ${loss} in epoch ${epoch}`);
  }
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

/** Validation rows are scored in chunks of this many, to bound the buffers. */
const EVAL_CHUNK = 1024;

/** What fitNetwork allocates for a model, known before it allocates anything. */
interface Footprint {
  /** Units per layer, inputs first. */
  dims: number[];
  /** Rows of one training step. */
  batch: number;
  /** Rows one pass holds: the batch, or a chunk of validation rows when that is larger. */
  capacity: number;
  parameters: number;
  /** About what training allocates: the stack's buffers (backprop.ts) and eight copies of the parameters. */
  bytes: number;
}

export function footprint(
  model: ModelConfig,
  inputSize: number,
  outputs: number,
  rows: { train: number; validation: number },
): Footprint {
  const dims = [inputSize, ...(model.kind === 'mlp' ? model.layers : []), outputs];
  const batch = Math.min(model.batch_size, rows.train);
  const capacity = Math.max(batch, Math.min(EVAL_CHUNK, rows.validation));
  const parameters = parameterCount(dims);
  const units = dims.slice(1).reduce((a, b) => a + b, 0);
  const perRow = inputSize + units * (model.dropout > 0 ? 5 : 3);
  return { dims, batch, capacity, parameters, bytes: 4 * (capacity * perRow + 8 * parameters) };
}

async function meanLoss(
  stack: DenseStack,
  set: TrainingSet,
  inputSize: number,
  yielder: Yielder,
): Promise<number> {
  let sum = 0;
  for (let start = 0; start < set.rows; start += stack.capacity) {
    if (yielder.due) await yielder.pause();
    const rows = Math.min(stack.capacity, set.rows - start);
    stack.forward(rows, set.x.subarray(start * inputSize, (start + rows) * inputSize), false);
    sum += stack.lossAndGradients(rows, set.y.subarray(start, start + rows), false) * rows;
  }
  return set.rows ? sum / set.rows : NaN;
}

export async function fitNetwork(options: FitOptions): Promise<FitResult> {
  const yielder = new Yielder(options.signal);
  const network = buildNetwork(options.model, options.inputSize, options.outputs, options.seed);
  try {
    return await fitBuilt(network, options, yielder);
  } catch (error) {
    network.dispose();
    throw error;
  }
}

async function fitBuilt(
  network: tfl.LayersModel,
  options: FitOptions,
  yielder: Yielder,
): Promise<FitResult> {
  const { model, seed, inputSize, outputs, train, validation } = options;
  const started = performance.now();
  const initial = network.getWeights().map((w) => w.dataSync() as Float32Array);
  const { dims, batch, capacity } = footprint(model, inputSize, outputs, {
    train: train.rows,
    validation: validation.rows,
  });
  const stack = new DenseStack(
    { dims, activation: model.activation, task: model.task, dropout: model.dropout },
    capacity,
    initial,
    { useWasm: options.useWasm },
  );
  const optimizer = makeOptimizer(model, stack.params);
  const order = Int32Array.from({ length: train.rows }, (_, i) => i);
  const random = seedrandom.alea(`batches:${seed}`);
  const dropoutRandom = seedrandom.alea(`dropout:${seed}`);
  const xb = stack.input;
  const yb = train.y instanceof Int32Array ? new Int32Array(batch) : new Float32Array(batch);
  const history: EpochLog[] = [];
  let best = { loss: Infinity, epoch: 0, params: stack.params.map((p) => p.slice()) };
  let stoppedEarly = false;
  let samples = 0;
  for (let epoch = 1; epoch <= model.epochs; epoch++) {
    shuffleInPlace(order, random);
    let lossSum = 0;
    for (let start = 0; start < train.rows; start += batch) {
      if (yielder.due) await yielder.pause();
      const size = Math.min(batch, train.rows - start);
      for (let r = 0; r < size; r++) {
        const row = order[start + r]!;
        yb[r] = train.y[row]!;
        const from = row * inputSize;
        const to = r * inputSize;
        for (let c = 0; c < inputSize; c++) xb[to + c] = train.x[from + c]!;
      }
      stack.forward(size, undefined, true, dropoutRandom);
      lossSum += stack.lossAndGradients(size, yb, true) * size;
      optimizer.step(stack.params, stack.grads);
    }
    samples += train.rows;
    const loss = lossSum / train.rows;
    const val_loss = await meanLoss(stack, validation, inputSize, yielder);
    // Once NaN, always NaN: stop rather than train on and save NaN weights.
    if (!Number.isFinite(loss)) throw new DivergedError(epoch, loss);
    if (!Number.isFinite(val_loss)) throw new DivergedError(epoch, val_loss);
    const log = { epoch, loss, val_loss };
    history.push(log);
    await options.onEpoch?.(log, model.epochs);
    if (val_loss < best.loss) {
      best = { loss: val_loss, epoch, params: stack.params.map((p) => p.slice()) };
    } else if (model.patience > 0 && epoch - best.epoch >= model.patience) {
      stoppedEarly = true;
      break;
    }
  }
  const kept = best.epoch ? best.params : stack.params;
  const shapes = network.getWeights().map((w) => w.shape);
  const tensors = kept.map((p, i) => tf.tensor(p, shapes[i]));
  network.setWeights(tensors);
  tf.dispose(tensors);
  const seconds = (performance.now() - started) / 1000;
  return {
    network,
    history,
    bestEpoch: best.epoch,
    stoppedEarly,
    seconds,
    samplesPerSecond: samples / seconds,
  };
}
