/**
 * TensorFlow.js in a bundled action: the WebAssembly backend looks for its .wasm
 * files beside its own script, which in a bundle is dist/, where the build
 * copies them. Run from source, the package finds them in node_modules itself.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function useBundledWasm(): void {
  const dir = fileURLToPath(new URL('./', import.meta.url));
  if (existsSync(`${dir}tfjs-backend-wasm.wasm`)) setWasmPaths(dir);
}
