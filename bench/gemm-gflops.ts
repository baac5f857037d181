/**
 * What bounds training speed: single-precision matrix products in our
 * WebAssembly SIMD kernel (one thread, pipeline/model/matmul.ts) against
 * numpy's OpenBLAS and PyTorch on all cores, at the shapes one step of the
 * [128, 64] network at batch 512 on 20 inputs multiplies, and one large square.
 *
 *   npx tsx bench/gemm-gflops.ts [--seconds 0.5]
 *
 * Prints GFLOP/s (2·m·n·k per product) per shape; each anchor runs with the
 * OPENBLAS_CORETYPE of bench/lib/anchors.ts.
 */
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createMatMul } from '../pipeline/model/matmul.js';
import { anchorEnv, moduleVersion, pythons } from './lib/anchors.js';
import { run } from './lib/system.js';
import { num, table } from './lib/table.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const i = process.argv.indexOf('--seconds');
const seconds = i >= 0 ? Number(process.argv[i + 1]) : 0.5;
const THREADS = availableParallelism();

// [m, n, k, what]: C(m×n) = A(m×k)·B(k×n).
const SHAPES: [number, number, number, string][] = [
  [512, 128, 20, 'forward, layer 1'],
  [512, 64, 128, 'forward, layer 2'],
  [20, 128, 512, 'weight gradient, layer 1'],
  [128, 64, 512, 'weight gradient, layer 2'],
  [512, 128, 64, 'input gradient, layer 2'],
  [512, 512, 512, 'square 512'],
];

function ours(m: number, n: number, k: number): number {
  const mm = createMatMul(m * k + k * n + m * n + 64);
  const av = mm.alloc(m * k);
  const bv = mm.alloc(k * n);
  for (let j = 0; j < av.length; j++) av[j] = Math.random() - 0.5;
  for (let j = 0; j < bv.length; j++) bv[j] = Math.random() - 0.5;
  const c = mm.alloc(m * n);
  mm.mul(m, n, k, av, k, 1, bv, c);
  let calls = 0;
  const start = performance.now();
  let elapsed: number;
  do {
    mm.mul(m, n, k, av, k, 1, bv, c);
    calls++;
    elapsed = (performance.now() - start) / 1000;
  } while (elapsed < seconds);
  return (2 * m * n * k * calls) / elapsed / 1e9;
}

interface PythonResult {
  numpy: number[];
  numpy_version: string;
  torch?: number[];
  torch_version?: string;
  blas: Record<string, unknown>[];
}

const { env, coretype } = await anchorEnv();
const columns: { label: string; values: number[] }[] = [
  { label: 'mlops wasm SIMD, 1 thread', values: SHAPES.map(([m, n, k]) => ours(m, n, k)) },
];
const notes: string[] = [];
for (const { source, python } of pythons()) {
  if (!(await moduleVersion(python, 'numpy'))) continue;
  const spec = { shapes: SHAPES.map(([m, n, k]) => [m, n, k]), threads: THREADS, seconds };
  const { stdout } = await run(python, [here('anchors/gemm_gflops.py'), JSON.stringify(spec)], { env }); // prettier-ignore
  const r = JSON.parse(stdout) as PythonResult;
  const openblas = r.blas.find((b) => b.internal_api === 'openblas');
  const kernel = openblas ? `${String(openblas.architecture)}, ${String(openblas.num_threads)} threads` : 'BLAS'; // prettier-ignore
  columns.push({ label: `numpy ${r.numpy_version} ${source} (${kernel})`, values: r.numpy });
  if (r.torch)
    columns.push({ label: `PyTorch ${r.torch_version!.replace(/\+.*/, '')} (${THREADS} threads)`, values: r.torch }); // prettier-ignore
  notes.push(`- ${source}: ${r.blas.map((b) => `${String(b.internal_api)} ${String(b.architecture ?? '')} ${String(b.version ?? '')} (${String(b.library)})`).join('; ')}`); // prettier-ignore
}
console.log(`GFLOP/s, float32, ${coretype}:\n`);
console.log(
  table(
    ['Product (m×k · k×n)', ...columns.map((c) => c.label)],
    SHAPES.map(([m, n, k, what], row) => [
      `${what}: ${m}×${k} · ${k}×${n}`,
      ...columns.map((c) => num(c.values[row]!, 1)),
    ]),
  ),
);
console.log(`\n${notes.join('\n')}`);
