/**
 * C = A·B for the small dense matrices of an MLP, in plain JavaScript.
 *
 * Why by hand: training a small network issues a few dozen tiny operations per
 * batch, and every TensorFlow.js op costs tens of microseconds of dispatch,
 * allocation and bookkeeping before any arithmetic (the wasm backend ran at
 * about a tenth of scikit-learn's speed that way). A register-blocked loop over
 * Float32Arrays has no per-call cost, and the strides let one kernel serve the
 * forward pass (X·W), the weight gradient (Xᵀ·dZ) and the input gradient
 * (dZ·Wᵀ) without materialising a transpose.
 */

/** A matrix view: element (i, j) is data[offset + i * rowStride + j * colStride]. */
export interface Strided {
  data: Float32Array;
  rowStride: number;
  colStride: number;
}

export const rowMajor = (data: Float32Array, cols: number): Strided => ({
  data,
  rowStride: cols,
  colStride: 1,
});

/**
 * out[i·n + j] = Σₚ A(i, p)·B(p, j) for i < m, j < n, p < k. Blocks of 4×4
 * outputs stay in registers while the k loop runs, so each loaded element
 * feeds four multiply-adds.
 */
export function gemm(m: number, n: number, k: number, a: Strided, b: Strided, out: Float32Array) {
  const A = a.data;
  const B = b.data;
  const ar = a.rowStride;
  const ac = a.colStride;
  const br = b.rowStride;
  const bc = b.colStride;
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    const a0 = i * ar;
    const a1 = a0 + ar;
    const a2 = a1 + ar;
    const a3 = a2 + ar;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      const j0 = j * bc;
      const j1 = j0 + bc;
      const j2 = j1 + bc;
      const j3 = j2 + bc;
      for (let p = 0, pa = 0, pb = 0; p < k; p++, pa += ac, pb += br) {
        const b0 = B[pb + j0]!;
        const b1 = B[pb + j1]!;
        const b2 = B[pb + j2]!;
        const b3 = B[pb + j3]!;
        const x0 = A[a0 + pa]!;
        const x1 = A[a1 + pa]!;
        const x2 = A[a2 + pa]!;
        const x3 = A[a3 + pa]!;
        c00 += x0 * b0;
        c01 += x0 * b1;
        c02 += x0 * b2;
        c03 += x0 * b3;
        c10 += x1 * b0;
        c11 += x1 * b1;
        c12 += x1 * b2;
        c13 += x1 * b3;
        c20 += x2 * b0;
        c21 += x2 * b1;
        c22 += x2 * b2;
        c23 += x2 * b3;
        c30 += x3 * b0;
        c31 += x3 * b1;
        c32 += x3 * b2;
        c33 += x3 * b3;
      }
      let o = i * n + j;
      out[o] = c00;
      out[o + 1] = c01;
      out[o + 2] = c02;
      out[o + 3] = c03;
      o += n;
      out[o] = c10;
      out[o + 1] = c11;
      out[o + 2] = c12;
      out[o + 3] = c13;
      o += n;
      out[o] = c20;
      out[o + 1] = c21;
      out[o + 2] = c22;
      out[o + 3] = c23;
      o += n;
      out[o] = c30;
      out[o + 1] = c31;
      out[o + 2] = c32;
      out[o + 3] = c33;
    }
    for (; j < n; j++) {
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      const jb = j * bc;
      for (let p = 0, pa = 0, pb = 0; p < k; p++, pa += ac, pb += br) {
        const bv = B[pb + jb]!;
        s0 += A[a0 + pa]! * bv;
        s1 += A[a1 + pa]! * bv;
        s2 += A[a2 + pa]! * bv;
        s3 += A[a3 + pa]! * bv;
      }
      out[i * n + j] = s0;
      out[(i + 1) * n + j] = s1;
      out[(i + 2) * n + j] = s2;
      out[(i + 3) * n + j] = s3;
    }
  }
  for (; i < m; i++) {
    const ai = i * ar;
    for (let j = 0; j < n; j++) {
      let s = 0;
      const jb = j * bc;
      for (let p = 0; p < k; p++) s += A[ai + p * ac]! * B[p * br + jb]!;
      out[i * n + j] = s;
    }
  }
}
