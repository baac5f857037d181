/**
 * Running a network: the one way train (validation), evaluate, predict, serve
 * and bench turn encoded rows into outputs, so they all compute the same numbers.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { asDenseStack } from './as-dense-stack.js';

/** Model outputs for row-major inputs: class probabilities, or standardised values. */
export function predictMatrix(
  network: tfl.LayersModel,
  x: Float32Array,
  rows: number,
  inputSize: number,
): Float32Array {
  const stack = asDenseStack(network);
  if (!stack)
    return tf.tidy(() => {
      const out = network.predict(tf.tensor2d(x, [rows, inputSize])) as tf.Tensor;
      return out.dataSync() as Float32Array;
    });
  const outputs = stack.shape.dims[stack.shape.dims.length - 1]!;
  const result = new Float32Array(rows * outputs);
  for (let start = 0; start < rows; start += stack.capacity) {
    const n = Math.min(stack.capacity, rows - start);
    const out = stack.forward(n, x.subarray(start * inputSize, (start + n) * inputSize), false);
    result.set(out.subarray(0, n * outputs), start * outputs);
  }
  return result;
}
