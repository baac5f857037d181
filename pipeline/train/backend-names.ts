/** The TensorFlow.js backends, fastest first; apart from backend.ts so that naming one loads no tfjs. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu'];
