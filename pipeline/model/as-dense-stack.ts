/**
 * The plain-array twin of a saved network, for prediction. A tfjs predict call
 * on a small MLP spends ~0.1–1 ms creating, dispatching and reading back
 * tensors around a few microseconds of arithmetic; a server predicting one row
 * per request pays that on every request. Networks of the shape this package
 * builds (Dense layers, optional Dropout, one hidden activation, softmax or
 * linear output) run through DenseStack instead; anything else returns
 * undefined and stays on tfjs.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ModelSchema } from '../config/schema.js';
import { DenseStack } from './backprop.js';
import type { Activation } from './activations.js';

const HIDDEN = new Set<string>(ModelSchema.shape.activation.unwrap().options);

/** Rows per forward pass: larger inputs are predicted in chunks of this. */
export const PREDICT_CHUNK = 1024;

interface Cached {
  /** The weight variables' data ids when the twin was made: a setWeights changes them. */
  ids: readonly object[];
  stack: DenseStack | undefined;
}

const cache = new WeakMap<tfl.LayersModel, Cached>();

function weightIds(network: tfl.LayersModel): object[] {
  return network.weights.map((w) => (w.read() as tf.Tensor).dataId);
}

function build(network: tfl.LayersModel): DenseStack | undefined {
  const dense = [];
  for (const layer of network.layers) {
    const kind = layer.getClassName();
    if (kind === 'Dropout') continue;
    if (kind !== 'Dense') return undefined;
    const config = layer.getConfig() as { activation?: string; useBias?: boolean };
    if (config.useBias === false) return undefined;
    dense.push({ activation: config.activation ?? 'linear', weights: layer.getWeights() });
  }
  if (!dense.length) return undefined;
  const last = dense[dense.length - 1]!;
  const hidden = dense.slice(0, -1).map((d) => d.activation);
  if (new Set(hidden).size > 1 || (hidden[0] !== undefined && !HIDDEN.has(hidden[0])))
    return undefined;
  if (last.activation !== 'softmax' && last.activation !== 'linear') return undefined;
  const kernels = dense.map((d) => d.weights[0]!);
  const dims = [kernels[0]!.shape[0]!, ...kernels.map((k) => k.shape[1]!)];
  return new DenseStack(
    {
      dims,
      activation: (hidden[0] ?? 'relu') as Activation,
      task: last.activation === 'softmax' ? 'classification' : 'regression',
      dropout: 0,
    },
    PREDICT_CHUNK,
    dense.flatMap((d) => d.weights.map((w) => w.dataSync() as Float32Array)),
  );
}

/** The twin of `network` with its current weights, or undefined when its shape is not one DenseStack runs. */
export function asDenseStack(network: tfl.LayersModel): DenseStack | undefined {
  const ids = weightIds(network);
  const hit = cache.get(network);
  if (hit && hit.ids.length === ids.length && hit.ids.every((id, i) => id === ids[i]))
    return hit.stack;
  const stack = build(network);
  cache.set(network, { ids, stack });
  return stack;
}
