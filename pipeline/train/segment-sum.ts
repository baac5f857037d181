/**
 * The gradient of a gather (what an embedding layer does) is an
 * UnsortedSegmentSum, which tfjs-backend-wasm 4.22 does not register: without
 * it, training an embedding on the wasm backend throws "Kernel
 * 'UnsortedSegmentSum' not registered". Written here, from ops the backend
 * has: summing the rows of x into their segments is the one-hot matrix of the
 * segment ids, transposed, times x. initBackend (backend.ts) registers it, so
 * every trainer has it: kind tfjs and a team's own trainer file alike.
 */
import * as tf from '@tensorflow/tfjs-core';

const KERNEL = 'UnsortedSegmentSum';

export function registerSegmentSum(backend: string): void {
  if (backend !== 'wasm' || tf.getKernel(KERNEL, backend)) return;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: backend,
    kernelFunc: ({ inputs, attrs }) => {
      const { x, segmentIds } = inputs as { x: tf.Tensor; segmentIds: tf.Tensor };
      const { numSegments } = attrs as unknown as { numSegments: number };
      return tf.tidy(() => {
        const rows = tf.reshape(x, [x.shape[0]!, -1]);
        const ids = tf.cast(tf.reshape(segmentIds, [-1]), 'int32');
        // Cast, not oneHot(..., 'float32'): the wasm OneHot writes integers whatever the dtype.
        const hot = tf.cast(tf.oneHot(ids, numSegments), 'float32');
        const sums = tf.matMul(hot, tf.cast(rows, 'float32'), true, false);
        return tf.cast(tf.reshape(sums, [numSegments, ...x.shape.slice(1)]), x.dtype);
      });
    },
  });
}
