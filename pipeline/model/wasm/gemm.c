// C = A·B with WebAssembly SIMD (f32x4), for the dense layers of backprop.ts.
// Built into gemm-wasm.ts by scripts/build-gemm-wasm.sh (clang, wasm32 target).
//
// C is m×n row-major; B is k×n row-major; A(i, p) = A[i*ars + p*acs], so one
// kernel multiplies by X (ars = k, acs = 1) or by Xᵀ (ars = 1, acs = rows).
// Tiles of 4 rows × 8 columns stay in eight vector registers over the whole
// k loop (4 × 4 for a remainder of 4 to 7 columns); other edges fall back to
// scalar loops.
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

static void edge(int i0, int i1, int j0, int j1, int k, const float *A, int ars, int acs,
                 const float *B, int n, float *C) {
  for (int i = i0; i < i1; i++)
    for (int j = j0; j < j1; j++) {
      float s = 0;
      for (int p = 0; p < k; p++) s += A[i * ars + p * acs] * B[p * n + j];
      C[i * n + j] = s;
    }
}

EXPORT("gemm")
void gemm(int m, int n, int k, const float *A, int ars, int acs, const float *B, float *C) {
  int m4 = m & ~3, n8 = n & ~7;
  for (int i = 0; i < m4; i += 4) {
    const float *a0 = A + i * ars, *a1 = a0 + ars, *a2 = a1 + ars, *a3 = a2 + ars;
    for (int j = 0; j < n8; j += 8) {
      v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00;
      v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
      const float *b = B + j;
      for (int p = 0, pa = 0; p < k; p++, pa += acs, b += n) {
        v128_t b0 = wasm_v128_load(b), b1 = wasm_v128_load(b + 4);
        v128_t x0 = wasm_f32x4_splat(a0[pa]), x1 = wasm_f32x4_splat(a1[pa]);
        v128_t x2 = wasm_f32x4_splat(a2[pa]), x3 = wasm_f32x4_splat(a3[pa]);
        c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(x0, b0));
        c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(x0, b1));
        c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(x1, b0));
        c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(x1, b1));
        c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(x2, b0));
        c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(x2, b1));
        c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(x3, b0));
        c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(x3, b1));
      }
      float *c = C + i * n + j;
      wasm_v128_store(c, c00);
      wasm_v128_store(c + 4, c01);
      wasm_v128_store(c + n, c10);
      wasm_v128_store(c + n + 4, c11);
      wasm_v128_store(c + 2 * n, c20);
      wasm_v128_store(c + 2 * n + 4, c21);
      wasm_v128_store(c + 3 * n, c30);
      wasm_v128_store(c + 3 * n + 4, c31);
    }
    int j = n8;
    if (j + 4 <= n) {
      // A 4×4 tile for the columns left over (a softmax over 4–7 classes).
      v128_t c0 = wasm_f32x4_splat(0), c1 = c0, c2 = c0, c3 = c0;
      const float *b = B + j;
      for (int p = 0, pa = 0; p < k; p++, pa += acs, b += n) {
        v128_t b0 = wasm_v128_load(b);
        c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_f32x4_splat(a0[pa]), b0));
        c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_f32x4_splat(a1[pa]), b0));
        c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_f32x4_splat(a2[pa]), b0));
        c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_f32x4_splat(a3[pa]), b0));
      }
      float *c = C + i * n + j;
      wasm_v128_store(c, c0);
      wasm_v128_store(c + n, c1);
      wasm_v128_store(c + 2 * n, c2);
      wasm_v128_store(c + 3 * n, c3);
      j += 4;
    }
    edge(i, i + 4, j, n, k, A, ars, acs, B, n, C);
  }
  edge(m4, m, 0, n, k, A, ars, acs, B, n, C);
}

// dst (cols×rows) = srcᵀ (src rows×cols), so B·ᵀ products can use gemm.
EXPORT("transpose")
void transpose(int rows, int cols, const float *src, float *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
}

// The elementwise steps around each product, so they vectorise too.

// z[r, j] += b[j] for every row.
EXPORT("add_bias")
void add_bias(int rows, int n, float *restrict z, const float *restrict b) {
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j++) z[r * n + j] += b[j];
}

EXPORT("relu")
void relu(int count, const float *restrict z, float *restrict h) {
  for (int i = 0; i < count; i++) h[i] = z[i] > 0 ? z[i] : 0;
}

// g *= relu'(z).
EXPORT("relu_back")
void relu_back(int count, const float *restrict z, float *restrict g) {
  // Written with a vector mask: as a conditional, clang leaves it scalar.
  int i = 0;
  v128_t zero = wasm_f32x4_splat(0);
  for (; i + 4 <= count; i += 4) {
    v128_t keep = wasm_f32x4_gt(wasm_v128_load(z + i), zero);
    wasm_v128_store(g + i, wasm_v128_and(wasm_v128_load(g + i), keep));
  }
  for (; i < count; i++) g[i] = z[i] > 0 ? g[i] : 0;
}

// out[j] = Σ_r m[r, j]: the bias gradient.
EXPORT("col_sum")
void col_sum(int rows, int n, const float *restrict m, float *restrict out) {
  for (int j = 0; j < n; j++) out[j] = 0;
  for (int r = 0; r < rows; r++)
    for (int j = 0; j < n; j++) out[j] += m[r * n + j];
}
