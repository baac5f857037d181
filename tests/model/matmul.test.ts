import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createMatMul, type MatMul } from '../../pipeline/model/matmul.js';
import { GEMM_WASM_SHA256 } from '../../pipeline/model/wasm/gemm-wasm.js';

function filled(mm: MatMul, count: number, seed: number): Float32Array {
  const a = mm.alloc(count);
  let s = seed;
  for (let i = 0; i < count; i++) a[i] = ((s = (s * 16807) % 2147483647) / 2147483647) * 2 - 1;
  return a;
}

// Shapes with and without the 4×8 tiles' remainders, as layers of any width give.
const SHAPES = [
  [256, 20, 64],
  [37, 13, 9],
  [37, 13, 13],
  [256, 32, 4],
  [4, 8, 8],
  [1, 5, 1],
  [64, 256, 3],
] as const;

describe('matrix products', () => {
  it('give the same results in WebAssembly SIMD as in JavaScript', () => {
    for (const [m, k, n] of SHAPES) {
      const results = [true, false].map((useWasm) => {
        const mm = createMatMul(4 * (m * k + k * n + m * n + k * m), { useWasm });
        const a = filled(mm, m * k, 3);
        const b = filled(mm, k * n, 5);
        const c = mm.alloc(m * n);
        mm.mul(m, n, k, a, k, 1, b, c);
        const at = mm.alloc(k * m);
        mm.transpose(m, k, a, at);
        const c2 = mm.alloc(m * n);
        // The same product reading the transposed copy through its strides.
        mm.mul(m, n, k, at, 1, m, b, c2);
        const bias = filled(mm, n, 7);
        mm.addBias(m, n, c2, bias);
        const h = mm.alloc(m * n);
        mm.relu(m * n, c2, h);
        const sums = mm.alloc(n);
        mm.colSum(m, n, h, sums);
        return { c: Array.from(c), h: Array.from(h), sums: Array.from(sums), c2: Array.from(c2) };
      });
      const [wasm, js] = results;
      for (const key of ['c', 'h', 'sums'] as const)
        wasm![key].forEach((v, i) =>
          expect(v, `${m}×${k}×${n} ${key}`).toBeCloseTo(js![key][i]!, 3),
        );
      // relu kept exactly the positive entries of the biased product.
      wasm!.h.forEach((v, i) => expect(v).toBe(Math.max(0, wasm!.c2[i]!)));
    }
  });

  it('refuses an operand that is not in its memory', () => {
    const mm = createMatMul(64);
    const foreign = new Float32Array(4);
    const own = mm.alloc(4);
    expect(() => mm.mul(2, 2, 2, foreign, 2, 1, own, own)).toThrow('outside the arena');
  });

  it('ships the WebAssembly built from the current gemm.c', async () => {
    const source = await readFile(new URL('../../pipeline/model/wasm/gemm.c', import.meta.url));
    expect(GEMM_WASM_SHA256, 'run `npm run build:wasm`').toBe(
      createHash('sha256').update(source).digest('hex'),
    );
  });
});
