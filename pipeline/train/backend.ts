/**
 * Pick the fastest TensorFlow.js backend that loads here: the native
 * `tensorflow` one (@tensorflow/tfjs-node, optional: its install downloads
 * libtensorflow), else WebAssembly, else plain JavaScript. Which one ran is
 * recorded in the model's lineage.
 */
import * as tf from '@tensorflow/tfjs-core';

import { BACKENDS, type BackendName } from './backend-names.js';
import { registerSegmentSum } from './segment-sum.js';

export { BACKENDS, type BackendName };

let chosen: Promise<BackendName> | undefined;

async function tryBackend(name: BackendName): Promise<boolean> {
  try {
    if (name === 'tensorflow') {
      // A string the bundler cannot follow: the package is optional.
      const pkg = '@tensorflow/tfjs-node';
      await import(/* @vite-ignore */ pkg);
    } else if (name === 'wasm') {
      await import('@tensorflow/tfjs-backend-wasm');
    } else {
      // Imported only when needed: it takes a few hundred ms to load.
      await import('@tensorflow/tfjs-backend-cpu');
    }
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

/**
 * Initialise once per process. `prefer` names a backend to use if it loads;
 * otherwise the order above is tried.
 */
export function initBackend(prefer?: BackendName): Promise<BackendName> {
  chosen ??= (async () => {
    const order = prefer ? [prefer, ...BACKENDS.filter((b) => b !== prefer)] : BACKENDS;
    for (const name of order) {
      if (await tryBackend(name)) {
        await tf.ready();
        // Kernels the backend lacks, registered here so that every trainer has them.
        registerSegmentSum(name);
        return name;
      }
    }
    throw new Error('no TensorFlow.js backend could be initialised');
  })();
  return chosen;
}
