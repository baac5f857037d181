/**
 * Matrix products for backprop.ts, on WebAssembly SIMD when this runtime has it
 * (wasm/gemm.c: 4-wide float vectors, about 3–5× the plain JavaScript loop on
 * layers of 64 units), else on the JavaScript kernel of gemm.ts.
 *
 * The wasm kernel reads and writes its own linear memory, so every buffer a
 * product touches is allocated here, once, up front: `alloc` hands out views
 * of one memory sized for the whole network, and nothing grows (growing would
 * detach the views) or is copied per call.
 */
import { gemm, rowMajor } from './gemm.js';
import { GEMM_WASM } from './wasm/gemm-wasm.js';

export interface MatMul {
  /** A zeroed Float32Array of `count` elements the products can use. */
  alloc(count: number): Float32Array;
  /** c(m×n) = A·b with A(i, p) = a[i·ars + p·acs] and b k×n row-major. */
  mul(
    m: number,
    n: number,
    k: number,
    a: Float32Array,
    ars: number,
    acs: number,
    b: Float32Array,
    c: Float32Array,
  ): void;
  /** dst (cols×rows) = srcᵀ. */
  transpose(rows: number, cols: number, src: Float32Array, dst: Float32Array): void;
  /** z[r, j] += b[j] for each of `rows` rows of `n`. */
  addBias(rows: number, n: number, z: Float32Array, b: Float32Array): void;
  /** h = max(z, 0). */
  relu(count: number, z: Float32Array, h: Float32Array): void;
  /** g = 0 where z <= 0. */
  reluBack(count: number, z: Float32Array, g: Float32Array): void;
  /** out[j] = Σ_r m[r, j]. */
  colSum(rows: number, n: number, m: Float32Array, out: Float32Array): void;
}

interface GemmExports {
  gemm(
    m: number,
    n: number,
    k: number,
    a: number,
    ars: number,
    acs: number,
    b: number,
    c: number,
  ): void;
  transpose(rows: number, cols: number, src: number, dst: number): void;
  add_bias(rows: number, n: number, z: number, b: number): void;
  relu(count: number, z: number, h: number): void;
  relu_back(count: number, z: number, g: number): void;
  col_sum(rows: number, n: number, m: number, out: number): void;
}

// The WebAssembly JS API, typed here: its declarations live in lib.dom, which
// this Node project does not load.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
  Memory: new (limits: { initial: number; maximum: number }) => { buffer: ArrayBuffer };
}
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

// The module's own stack and data sit in its first 64 KiB pages; the arena starts above them.
const RESERVED_PAGES = 2;
const PAGE = 65536;

let compiled: object | null | undefined;

function wasmModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = new WebAssemblyApi.Module(Buffer.from(GEMM_WASM, 'base64'));
    } catch {
      // No SIMD in this runtime: the JavaScript kernel does the work.
      compiled = null;
    }
  }
  return compiled ?? null;
}

/** Which kernel createMatMul gives by default here: the WebAssembly SIMD one where it compiles, else JavaScript. */
export function matMulKernel(): 'wasm-simd' | 'js' {
  return wasmModule() ? 'wasm-simd' : 'js';
}

function javascriptMatMul(): MatMul {
  return {
    alloc: (count) => new Float32Array(count),
    mul(m, n, k, a, ars, acs, b, c) {
      gemm(m, n, k, { data: a, rowStride: ars, colStride: acs }, rowMajor(b, n), c);
    },
    transpose(rows, cols, src, dst) {
      for (let r = 0; r < rows; r++)
        for (let col = 0; col < cols; col++) dst[col * rows + r] = src[r * cols + col]!;
    },
    addBias(rows, n, z, b) {
      for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < n; j++, o++) z[o]! += b[j]!;
    },
    relu(count, z, h) {
      for (let i = 0; i < count; i++) h[i] = z[i]! > 0 ? z[i]! : 0;
    },
    reluBack(count, z, g) {
      for (let i = 0; i < count; i++) if (!(z[i]! > 0)) g[i] = 0;
    },
    colSum(rows, n, m, out) {
      out.fill(0, 0, n);
      for (let r = 0, o = 0; r < rows; r++) for (let j = 0; j < n; j++, o++) out[j]! += m[o]!;
    },
  };
}

/**
 * Products over buffers of at most `floats` elements in all. `useWasm: false`
 * forces the JavaScript kernel (tests compare the two).
 */
export function createMatMul(floats: number, options: { useWasm?: boolean } = {}): MatMul {
  const module = options.useWasm === false ? null : wasmModule();
  if (!module) return javascriptMatMul();
  // 16 bytes of slack per buffer keeps every view 16-byte aligned.
  const pages = RESERVED_PAGES + Math.ceil((floats * 4 + 64 * 1024) / PAGE);
  const memory = new WebAssemblyApi.Memory({ initial: pages, maximum: pages });
  const instance = new WebAssemblyApi.Instance(module, { env: { memory } });
  const wasm = instance.exports as unknown as GemmExports;
  let next = RESERVED_PAGES * PAGE;
  const end = pages * PAGE;
  const check = (...views: Float32Array[]) => {
    for (const v of views)
      if (v.buffer !== memory.buffer) throw new Error('matmul operand outside the arena');
  };
  return {
    alloc(count) {
      const bytes = Math.ceil((count * 4) / 16) * 16;
      if (next + bytes > end) throw new Error('matmul arena exhausted');
      const view = new Float32Array(memory.buffer, next, count);
      next += bytes;
      return view;
    },
    mul(m, n, k, a, ars, acs, b, c) {
      check(a, b, c);
      wasm.gemm(m, n, k, a.byteOffset, ars, acs, b.byteOffset, c.byteOffset);
    },
    transpose(rows, cols, src, dst) {
      check(src, dst);
      wasm.transpose(rows, cols, src.byteOffset, dst.byteOffset);
    },
    addBias(rows, n, z, b) {
      check(z, b);
      wasm.add_bias(rows, n, z.byteOffset, b.byteOffset);
    },
    relu(count, z, h) {
      check(z, h);
      wasm.relu(count, z.byteOffset, h.byteOffset);
    },
    reluBack(count, z, g) {
      check(z, g);
      wasm.relu_back(count, z.byteOffset, g.byteOffset);
    },
    colSum(rows, n, m, out) {
      check(m, out);
      wasm.col_sum(rows, n, m.byteOffset, out.byteOffset);
    },
  };
}
