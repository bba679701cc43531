/*
 * dinolab's own WebAssembly SIMD kernels for the tfjs wasm backend.
 *
 * They run in tfjs-backend-wasm's linear memory (the module imports that memory), so tensors are
 * read and written in place: no copies in or out. Every pointer is a byte offset into that memory.
 *
 * Rules that keep sharing tfjs's memory safe: no static data and no libc (a data segment would be
 * written over tfjs's heap at instantiation; scripts/build-kernels.sh refuses a module with one).
 * The C stack (local arrays) lives in a block the caller takes from tfjs's allocator: the module
 * exports __stack_pointer and each instance points it at its own block before the first call.
 *
 * Work is split in "parts" so that a pool of threads can each take a range: a call computes the
 * parts [part0, part1) of the whole job, and the caller decides how many parts there are.
 */
#include <wasm_simd128.h>

typedef unsigned int u32;

/* ---------------------------------------------------------------------------------------------
 * Batched matrix product C[b] = op(A[b]) op(B[b]) for row-major float32 matrices.
 *
 * op(A) is M x K: A is [M, K] (lda = K) or, transposed, [K, M] (lda = M); likewise op(B) is K x N.
 * strideA / strideB are the element distances between batch entries (0 broadcasts one matrix).
 *
 * GotoBLAS blocking: a KC x NC block of op(B) is packed into panels of 8 columns, an MC x KC
 * block of op(A) into panels of 4 rows; a 4 x 8 micro-kernel keeps its 32 sums in 8 SIMD
 * registers and reads both panels contiguously, whatever the transposes were.
 * ------------------------------------------------------------------------------------------- */

/*
 * MADD(a, b, c) = a * b + c. Built with -mrelaxed-simd (RELAXED_SIMD) it is one fused multiply-add
 * where the CPU has one (relaxed SIMD leaves the rounding to the engine: fused or not), else a
 * multiply and an add. Only the matrix products use it; the element-wise kernels stay bit-exact.
 */
#ifdef RELAXED_SIMD
typedef float f32x4_t __attribute__((vector_size(16)));
#define MADD(a, b, c) ((v128_t)__builtin_wasm_relaxed_madd_f32x4((f32x4_t)(a), (f32x4_t)(b), (f32x4_t)(c)))
#else
#define MADD(a, b, c) wasm_f32x4_add((c), wasm_f32x4_mul((a), (b)))
#endif

#define MR 4
#define NR 8
#define KC 256
#define MC 64
#define NC 512

/* Scratch floats one gemm call needs: a packed B block and a packed A block. */
u32 gemm_scratch_floats(void) { return KC * NC + MC * KC; }

static void pack_b(const float *B, int transB, int ldb, int k0, int kc, int j0, int nc, float *Bp) {
  /* Bp[panel][k][NR], zero-padded past nc. op(B)[k][j] = transB ? B[j*ldb + k] : B[k*ldb + j]. */
  for (int jp = 0; jp < nc; jp += NR) {
    int w = nc - jp < NR ? nc - jp : NR;
    float *dst = Bp + (jp / NR) * kc * NR;
    if (!transB && w == NR) {
      for (int k = 0; k < kc; k++) {
        const float *src = B + (k0 + k) * ldb + j0 + jp;
        wasm_v128_store(dst + k * NR, wasm_v128_load(src));
        wasm_v128_store(dst + k * NR + 4, wasm_v128_load(src + 4));
      }
    } else if (!transB) {
      for (int k = 0; k < kc; k++) {
        const float *src = B + (k0 + k) * ldb + j0 + jp;
        for (int j = 0; j < NR; j++) dst[k * NR + j] = j < w ? src[j] : 0.0f;
      }
    } else {
      for (int j = 0; j < NR; j++) {
        if (j < w) {
          const float *src = B + (j0 + jp + j) * ldb + k0;
          for (int k = 0; k < kc; k++) dst[k * NR + j] = src[k];
        } else {
          for (int k = 0; k < kc; k++) dst[k * NR + j] = 0.0f;
        }
      }
    }
  }
}

static void pack_a(const float *A, int transA, int lda, float alpha, int i0, int mc, int k0, int kc, float *Ap) {
  /* Ap[panel][k][MR] = alpha op(A), zero-padded past mc. op(A)[i][k] = transA ? A[k*lda + i] : A[i*lda + k]. */
  v128_t va = wasm_f32x4_splat(alpha);
  for (int ip = 0; ip < mc; ip += MR) {
    int h = mc - ip < MR ? mc - ip : MR;
    float *dst = Ap + (ip / MR) * kc * MR;
    if (transA && h == MR) {
      for (int k = 0; k < kc; k++)
        wasm_v128_store(dst + k * MR, wasm_f32x4_mul(va, wasm_v128_load(A + (k0 + k) * lda + i0 + ip)));
    } else if (transA) {
      for (int k = 0; k < kc; k++)
        for (int i = 0; i < MR; i++) dst[k * MR + i] = i < h ? alpha * A[(k0 + k) * lda + i0 + ip + i] : 0.0f;
    } else {
      for (int i = 0; i < MR; i++) {
        if (i < h) {
          const float *src = A + (i0 + ip + i) * lda + k0;
          for (int k = 0; k < kc; k++) dst[k * MR + i] = alpha * src[k];
        } else {
          for (int k = 0; k < kc; k++) dst[k * MR + i] = 0.0f;
        }
      }
    }
  }
}

/* C[0..h, 0..w] (= or +=) Ap-panel x Bp-panel over kc. */
static void micro_4x8(const float *Ap, const float *Bp, int kc, float *C, int ldc, int h, int w, int accumulate) {
  v128_t c00 = wasm_f32x4_splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int k = 0; k < kc; k++) {
    v128_t b0 = wasm_v128_load(Bp), b1 = wasm_v128_load(Bp + 4);
    /* Broadcast loads (one load each, no shuffle) of the panel's 4 rows at this k. */
    v128_t a0 = wasm_v128_load32_splat(Ap), a1 = wasm_v128_load32_splat(Ap + 1);
    v128_t a2 = wasm_v128_load32_splat(Ap + 2), a3 = wasm_v128_load32_splat(Ap + 3);
    c00 = MADD(a0, b0, c00);
    c01 = MADD(a0, b1, c01);
    c10 = MADD(a1, b0, c10);
    c11 = MADD(a1, b1, c11);
    c20 = MADD(a2, b0, c20);
    c21 = MADD(a2, b1, c21);
    c30 = MADD(a3, b0, c30);
    c31 = MADD(a3, b1, c31);
    Ap += MR;
    Bp += NR;
  }
  v128_t rows[8] = {c00, c01, c10, c11, c20, c21, c30, c31};
  if (h == MR && w == NR) {
    for (int i = 0; i < MR; i++) {
      float *c = C + i * ldc;
      if (accumulate) {
        wasm_v128_store(c, wasm_f32x4_add(wasm_v128_load(c), rows[2 * i]));
        wasm_v128_store(c + 4, wasm_f32x4_add(wasm_v128_load(c + 4), rows[2 * i + 1]));
      } else {
        wasm_v128_store(c, rows[2 * i]);
        wasm_v128_store(c + 4, rows[2 * i + 1]);
      }
    }
    return;
  }
  for (int i = 0; i < h; i++) {
    float *c = C + i * ldc;
    for (int j = 0; j < w; j++) {
      v128_t r = rows[2 * i + (j >> 2)];
      float v;
      switch (j & 3) {
        case 0: v = wasm_f32x4_extract_lane(r, 0); break;
        case 1: v = wasm_f32x4_extract_lane(r, 1); break;
        case 2: v = wasm_f32x4_extract_lane(r, 2); break;
        default: v = wasm_f32x4_extract_lane(r, 3); break;
      }
      c[j] = accumulate ? c[j] + v : v;
    }
  }
}

/*
 * C (M x N, row stride ldc) = or += alpha op(A) op(B), with op(A) M x K and op(B) K x N read
 * through row strides lda and ldb (so a matrix can be a column slice of a wider one).
 */
static void gemm_strided(const float *A, int lda, int transA, float alpha, const float *B, int ldb, int transB, float *C,
                         int ldc, int M, int N, int K, int accumulate, float *scratch) {
  float *Bp = scratch;
  float *Ap = scratch + KC * NC;
  if (K == 0) {
    if (!accumulate)
      for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[i * ldc + j] = 0.0f;
    return;
  }
  for (int j0 = 0; j0 < N; j0 += NC) {
    int nc = N - j0 < NC ? N - j0 : NC;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kc = K - k0 < KC ? K - k0 : KC;
      pack_b(B, transB, ldb, k0, kc, j0, nc, Bp);
      for (int i0 = 0; i0 < M; i0 += MC) {
        int mc = M - i0 < MC ? M - i0 : MC;
        pack_a(A, transA, lda, alpha, i0, mc, k0, kc, Ap);
        for (int ip = 0; ip < mc; ip += MR) {
          int h = mc - ip < MR ? mc - ip : MR;
          for (int jp = 0; jp < nc; jp += NR) {
            int w = nc - jp < NR ? nc - jp : NR;
            micro_4x8(Ap + (ip / MR) * kc * MR, Bp + (jp / NR) * kc * NR, kc, C + (i0 + ip) * ldc + j0 + jp, ldc, h, w,
                      accumulate || k0 > 0);
          }
        }
      }
    }
  }
}

/*
 * Batched C[b] = op(A[b]) op(B[b]) for contiguous row-major matrices. strideA / strideB are the
 * element distances between batch entries (0 broadcasts one matrix). The job is split into parts
 * = batch x ceil(N / colsPerPart) column blocks x ceil(M / rowsPerPart) row blocks (colsPerPart
 * at most NC); this call computes parts [part0, part1). Parts write disjoint blocks of C, so they
 * can run on different threads (each with its own scratch).
 */
void gemm(const float *A, const float *B, float *C, int batch, int M, int N, int K, int transA, int transB,
          int strideA, int strideB, int rowsPerPart, int colsPerPart, int part0, int part1, float *scratch) {
  int colBlocks = (N + colsPerPart - 1) / colsPerPart;
  int rowBlocks = (M + rowsPerPart - 1) / rowsPerPart;
  int lda = transA ? M : K, ldb = transB ? K : N;
  for (int part = part0; part < part1; part++) {
    int b = part / (colBlocks * rowBlocks);
    int rest = part % (colBlocks * rowBlocks);
    int j0 = (rest / rowBlocks) * colsPerPart, i0 = (rest % rowBlocks) * rowsPerPart;
    int nc = N - j0 < colsPerPart ? N - j0 : colsPerPart, mr = M - i0 < rowsPerPart ? M - i0 : rowsPerPart;
    const float *Ab = A + b * strideA + (transA ? i0 : i0 * K);
    const float *Bb = B + b * strideB + (transB ? j0 * K : j0);
    gemm_strided(Ab, lda, transA, 1.0f, Bb, ldb, transB, C + b * M * N + i0 * N + j0, N, mr, nc, K, 0, scratch);
  }
}

/* ---------------------------------------------------------------------------------------------
 * Multi-head self-attention, fused: softmax(scale Q K^T) V without ever storing the N x N matrix.
 *
 * Input is the qkv projection [B, N, 3, nh, hd] (row-major, as the qkv Linear writes it), so Q,
 * K and V of a head are column slices of it with row stride 3 D (D = nh hd): no transposes.
 * Queries go in blocks of QB rows; a block's scores (QB x N) are exact softmax rows, since a
 * block holds whole rows. Parts are (image, head) pairs.
 * ------------------------------------------------------------------------------------------- */

#define QB 64

/* exp(x) for x <= 0 (scores minus their row maximum; -x^2), to ~2 ulp; 0 below -87. */
static inline v128_t exp4(v128_t x) {
  x = wasm_f32x4_max(x, wasm_f32x4_splat(-87.0f));
  v128_t n = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(n, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(n, wasm_f32x4_splat(-2.12194440e-4f)));
  /* exp(r) on |r| <= ln2/2: Taylor to r^7 (truncation < 1e-8 relative). */
  v128_t p = wasm_f32x4_splat(1.0f / 5040);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 720));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 120));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 24));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f / 6));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(0.5f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, r), wasm_f32x4_splat(1.0f));
  v128_t e = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(p, e);
}

/* Softmax of each of `rows` rows of length n (row stride ld), in place. */
static void softmax_rows(float *S, int rows, int n, int ld) {
  for (int i = 0; i < rows; i++) {
    float *s = S + i * ld;
    int j = 0;
    v128_t vm = wasm_f32x4_splat(-3.4e38f);
    for (; j + 4 <= n; j += 4) vm = wasm_f32x4_max(vm, wasm_v128_load(s + j));
    float m = wasm_f32x4_extract_lane(vm, 0);
    for (int l = 1; l < 4; l++) {
      float v = l == 1 ? wasm_f32x4_extract_lane(vm, 1) : l == 2 ? wasm_f32x4_extract_lane(vm, 2) : wasm_f32x4_extract_lane(vm, 3);
      m = v > m ? v : m;
    }
    for (; j < n; j++) m = s[j] > m ? s[j] : m;
    v128_t mm = wasm_f32x4_splat(m), vs = wasm_f32x4_splat(0);
    float tail = 0;
    for (j = 0; j + 4 <= n; j += 4) {
      v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(s + j), mm));
      wasm_v128_store(s + j, e);
      vs = wasm_f32x4_add(vs, e);
    }
    for (; j < n; j++) {
      v128_t e = exp4(wasm_f32x4_splat(s[j] - m));
      s[j] = wasm_f32x4_extract_lane(e, 0);
      tail += s[j];
    }
    float sum = wasm_f32x4_extract_lane(vs, 0) + wasm_f32x4_extract_lane(vs, 1) + wasm_f32x4_extract_lane(vs, 2) +
                wasm_f32x4_extract_lane(vs, 3) + tail;
    v128_t inv = wasm_f32x4_splat(1.0f / sum);
    for (j = 0; j + 4 <= n; j += 4) wasm_v128_store(s + j, wasm_f32x4_mul(wasm_v128_load(s + j), inv));
    for (; j < n; j++) s[j] *= 1.0f / sum;
  }
}

u32 attention_scratch_floats(int N) { return 2 * QB * N + gemm_scratch_floats(); }

/*
 * out [B, N, D] (or [B, q1 - q0, D] when only queries [q0, q1) are asked for) = attention of
 * those queries; probs, when nonzero, receives their softmax rows [B, nh, q1 - q0, N].
 */
void attention(const float *qkv, float *out, float *probs, int B, int N, int nh, int hd, float scale, int q0, int q1,
               int part0, int part1, float *scratch) {
  int D = nh * hd, ld = 3 * D, nq = q1 - q0;
  float *S = scratch;
  float *gs = scratch + 2 * QB * N;
  for (int part = part0; part < part1; part++) {
    int b = part / nh, h = part % nh;
    const float *X = qkv + b * N * ld;
    const float *Q = X + h * hd, *K = X + D + h * hd, *V = X + 2 * D + h * hd;
    for (int i0 = q0; i0 < q1; i0 += QB) {
      int mb = q1 - i0 < QB ? q1 - i0 : QB;
      gemm_strided(Q + i0 * ld, ld, 0, scale, K, ld, 1, S, N, mb, N, hd, 0, gs);
      softmax_rows(S, mb, N, N);
      if (probs) {
        float *P = probs + ((b * nh + h) * nq + (i0 - q0)) * N;
        for (int e = 0; e < mb * N; e++) P[e] = S[e];
      }
      gemm_strided(S, N, 0, 1.0f, V, ld, 0, out + (b * nq + (i0 - q0)) * D + h * hd, D, mb, hd, N, 0, gs);
    }
  }
}

/*
 * Gradient of attention() (all queries) with respect to qkv: dqkv [B, N, 3 D] from dout [B, N, D].
 * Per query block the softmax rows are recomputed (nothing was kept from the forward pass):
 *   P = softmax(scale Q K^T),  dV += P^T dO,  dP = dO V^T,  dS = P * (dP - rowsum(dP * P)),
 *   dQ = scale dS K,  dK += scale dS^T Q.
 */
void attention_grad(const float *qkv, const float *dout, float *dqkv, int B, int N, int nh, int hd, float scale,
                    int part0, int part1, float *scratch) {
  int D = nh * hd, ld = 3 * D;
  float *P = scratch, *dP = scratch + QB * N;
  float *gs = scratch + 2 * QB * N;
  for (int part = part0; part < part1; part++) {
    int b = part / nh, h = part % nh;
    const float *X = qkv + b * N * ld;
    const float *Q = X + h * hd, *K = X + D + h * hd, *V = X + 2 * D + h * hd;
    const float *dO = dout + b * N * D + h * hd;
    float *G = dqkv + b * N * ld;
    float *dQ = G + h * hd, *dK = G + D + h * hd, *dV = G + 2 * D + h * hd;
    for (int i0 = 0; i0 < N; i0 += QB) {
      int mb = N - i0 < QB ? N - i0 : QB;
      int acc = i0 > 0;
      gemm_strided(Q + i0 * ld, ld, 0, scale, K, ld, 1, P, N, mb, N, hd, 0, gs);
      softmax_rows(P, mb, N, N);
      gemm_strided(P, N, 1, 1.0f, dO + i0 * D, D, 0, dV, ld, N, hd, mb, acc, gs);
      gemm_strided(dO + i0 * D, D, 0, 1.0f, V, ld, 1, dP, N, mb, N, hd, 0, gs);
      for (int i = 0; i < mb; i++) {
        float *p = P + i * N, *g = dP + i * N;
        v128_t vs = wasm_f32x4_splat(0);
        float dot = 0;
        int j = 0;
        for (; j + 4 <= N; j += 4) vs = wasm_f32x4_add(vs, wasm_f32x4_mul(wasm_v128_load(p + j), wasm_v128_load(g + j)));
        for (; j < N; j++) dot += p[j] * g[j];
        dot += wasm_f32x4_extract_lane(vs, 0) + wasm_f32x4_extract_lane(vs, 1) + wasm_f32x4_extract_lane(vs, 2) +
               wasm_f32x4_extract_lane(vs, 3);
        v128_t vd = wasm_f32x4_splat(dot);
        for (j = 0; j + 4 <= N; j += 4)
          wasm_v128_store(g + j, wasm_f32x4_mul(wasm_v128_load(p + j), wasm_f32x4_sub(wasm_v128_load(g + j), vd)));
        for (; j < N; j++) g[j] = p[j] * (g[j] - dot);
      }
      gemm_strided(dP, N, 0, scale, K, ld, 0, dQ + i0 * ld, ld, mb, hd, N, 0, gs);
      gemm_strided(dP, N, 1, scale, Q + i0 * ld, ld, 0, dK, ld, N, hd, mb, acc, gs);
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * LayerNorm over the last axis and exact (erf) GELU, forward and backward, fused: tfjs builds each
 * from 5-10 elementwise ops whose intermediates all stay on the tape. The backward passes take the
 * forward's input and recompute what they need.
 * ------------------------------------------------------------------------------------------- */

static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) +
         wasm_f32x4_extract_lane(v, 3);
}

/* mean and 1 / sqrt(biased variance + eps) of one row, two passes (as torch). */
static void row_stats(const float *x, int D, float eps, float *mean, float *rstd) {
  v128_t s = wasm_f32x4_splat(0);
  float t = 0;
  int j = 0;
  for (; j + 4 <= D; j += 4) s = wasm_f32x4_add(s, wasm_v128_load(x + j));
  for (; j < D; j++) t += x[j];
  float m = (hsum(s) + t) / D;
  v128_t vm = wasm_f32x4_splat(m), q = wasm_f32x4_splat(0);
  t = 0;
  for (j = 0; j + 4 <= D; j += 4) {
    v128_t d = wasm_f32x4_sub(wasm_v128_load(x + j), vm);
    q = wasm_f32x4_add(q, wasm_f32x4_mul(d, d));
  }
  for (; j < D; j++) t += (x[j] - m) * (x[j] - m);
  *mean = m;
  *rstd = 1.0f / wasm_f32x4_extract_lane(wasm_f32x4_sqrt(wasm_f32x4_splat((hsum(q) + t) / D + eps)), 0);
}

/* y = (x - mean) rstd w + b per row of D; parts are rows. */
void layernorm(const float *x, const float *w, const float *b, float *y, int D, float eps, int part0, int part1,
               float *scratch) {
  for (int r = part0; r < part1; r++) {
    const float *xr = x + r * D;
    float *yr = y + r * D;
    float m, rs;
    row_stats(xr, D, eps, &m, &rs);
    v128_t vm = wasm_f32x4_splat(m), vr = wasm_f32x4_splat(rs);
    int j = 0;
    for (; j + 4 <= D; j += 4) {
      v128_t h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vr);
      wasm_v128_store(yr + j, wasm_f32x4_add(wasm_f32x4_mul(h, wasm_v128_load(w + j)), wasm_v128_load(b + j)));
    }
    for (; j < D; j++) yr[j] = (xr[j] - m) * rs * w[j] + b[j];
  }
}

/* dx = rstd (g - mean(g) - h mean(g h)) with h = (x - mean) rstd, g = dy w; parts are rows. */
void layernorm_grad(const float *x, const float *w, const float *dy, float *dx, int D, float eps, int part0, int part1,
                    float *scratch) {
  for (int r = part0; r < part1; r++) {
    const float *xr = x + r * D, *dr = dy + r * D;
    float *o = dx + r * D;
    float m, rs;
    row_stats(xr, D, eps, &m, &rs);
    v128_t vm = wasm_f32x4_splat(m), vr = wasm_f32x4_splat(rs), sg = wasm_f32x4_splat(0), sgh = sg;
    float tg = 0, tgh = 0;
    int j = 0;
    for (; j + 4 <= D; j += 4) {
      v128_t h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vr);
      v128_t g = wasm_f32x4_mul(wasm_v128_load(dr + j), wasm_v128_load(w + j));
      sg = wasm_f32x4_add(sg, g);
      sgh = wasm_f32x4_add(sgh, wasm_f32x4_mul(g, h));
    }
    for (; j < D; j++) {
      float h = (xr[j] - m) * rs, g = dr[j] * w[j];
      tg += g;
      tgh += g * h;
    }
    float mg = (hsum(sg) + tg) / D, mgh = (hsum(sgh) + tgh) / D;
    v128_t vmg = wasm_f32x4_splat(mg), vmgh = wasm_f32x4_splat(mgh);
    for (j = 0; j + 4 <= D; j += 4) {
      v128_t h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vr);
      v128_t g = wasm_f32x4_mul(wasm_v128_load(dr + j), wasm_v128_load(w + j));
      wasm_v128_store(o + j, wasm_f32x4_mul(vr, wasm_f32x4_sub(wasm_f32x4_sub(g, vmg), wasm_f32x4_mul(h, vmgh))));
    }
    for (; j < D; j++) {
      float h = (xr[j] - m) * rs, g = dr[j] * w[j];
      o[j] = rs * (g - mg - h * mgh);
    }
  }
}

/* dwb [2, D] = (sum over rows of dy h, sum over rows of dy); one part. */
void layernorm_grad_params(const float *x, const float *dy, float *dwb, int M, int D, float eps, int part0, int part1,
                           float *scratch) {
  if (part0 >= part1) return;
  float *dw = dwb, *db = dwb + D;
  for (int j = 0; j < D; j++) dw[j] = db[j] = 0.0f;
  for (int r = 0; r < M; r++) {
    const float *xr = x + r * D, *dr = dy + r * D;
    float m, rs;
    row_stats(xr, D, eps, &m, &rs);
    v128_t vm = wasm_f32x4_splat(m), vr = wasm_f32x4_splat(rs);
    int j = 0;
    for (; j + 4 <= D; j += 4) {
      v128_t h = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + j), vm), vr);
      v128_t d = wasm_v128_load(dr + j);
      wasm_v128_store(dw + j, wasm_f32x4_add(wasm_v128_load(dw + j), wasm_f32x4_mul(d, h)));
      wasm_v128_store(db + j, wasm_f32x4_add(wasm_v128_load(db + j), d));
    }
    for (; j < D; j++) {
      dw[j] += dr[j] * (xr[j] - m) * rs;
      db[j] += dr[j];
    }
  }
}

/* erf(x), Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7), odd-symmetric. */
static inline v128_t erf4(v128_t x) {
  v128_t a = wasm_f32x4_abs(x);
  v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), a)));
  v128_t p = wasm_f32x4_splat(1.061405429f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-1.453152027f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.421413741f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-0.284496736f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.254829592f));
  p = wasm_f32x4_mul(p, t);
  v128_t y = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(p, exp4(wasm_f32x4_neg(wasm_f32x4_mul(a, a)))));
  return wasm_v128_or(y, wasm_v128_and(x, wasm_i32x4_splat(0x80000000)));
}

#define GELU_CHUNK 4096
#define SQRT1_2 0.70710678118654752f
#define INV_SQRT_2PI 0.39894228040143268f

static inline v128_t gelu4(v128_t x) {
  v128_t cdf = wasm_f32x4_mul(wasm_f32x4_splat(0.5f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), erf4(wasm_f32x4_mul(x, wasm_f32x4_splat(SQRT1_2)))));
  return wasm_f32x4_mul(x, cdf);
}

static inline v128_t gelu_grad4(v128_t x, v128_t dy) {
  v128_t cdf = wasm_f32x4_mul(wasm_f32x4_splat(0.5f), wasm_f32x4_add(wasm_f32x4_splat(1.0f), erf4(wasm_f32x4_mul(x, wasm_f32x4_splat(SQRT1_2)))));
  v128_t pdf = wasm_f32x4_mul(wasm_f32x4_splat(INV_SQRT_2PI), exp4(wasm_f32x4_mul(wasm_f32x4_splat(-0.5f), wasm_f32x4_mul(x, x))));
  return wasm_f32x4_mul(dy, wasm_f32x4_add(cdf, wasm_f32x4_mul(x, pdf)));
}

/* y = x Phi(x) on n values; parts are chunks of GELU_CHUNK. */
void gelu(const float *x, float *y, int n, int part0, int part1, float *scratch) {
  for (int part = part0; part < part1; part++) {
    int i = part * GELU_CHUNK, end = i + GELU_CHUNK < n ? i + GELU_CHUNK : n;
    for (; i + 4 <= end; i += 4) wasm_v128_store(y + i, gelu4(wasm_v128_load(x + i)));
    for (; i < end; i++) y[i] = wasm_f32x4_extract_lane(gelu4(wasm_f32x4_splat(x[i])), 0);
  }
}

/* dx = dy (Phi(x) + x phi(x)); parts are chunks of GELU_CHUNK. */
void gelu_grad(const float *x, const float *dy, float *dx, int n, int part0, int part1, float *scratch) {
  for (int part = part0; part < part1; part++) {
    int i = part * GELU_CHUNK, end = i + GELU_CHUNK < n ? i + GELU_CHUNK : n;
    for (; i + 4 <= end; i += 4) wasm_v128_store(dx + i, gelu_grad4(wasm_v128_load(x + i), wasm_v128_load(dy + i)));
    for (; i < end; i++)
      dx[i] = wasm_f32x4_extract_lane(gelu_grad4(wasm_f32x4_splat(x[i]), wasm_f32x4_splat(dy[i])), 0);
  }
}

/* ---------------------------------------------------------------------------------------------
 * Hue rotation of RGB planes [3, N, H, W] (values in [0, 1]) by per-crop shifts of 6 x turns: the
 * same float32 operations, in the same order, as augment.ts's adjustHue builds from tfjs ops
 * (RGB -> hue sextant as torchvision's _rgb2hsv picks it -> closed-form HSV -> RGB), in one pass.
 * Parts are crops.
 * ------------------------------------------------------------------------------------------- */

static inline float hue_channel(float h6, float n, float maxc, float chroma) {
  float t = h6 + n;
  float k = t - __builtin_floorf(t / 6.0f) * 6.0f;
  float m = k < 4.0f - k ? k : 4.0f - k;
  m = m < 0.0f ? 0.0f : m > 1.0f ? 1.0f : m;
  return maxc - chroma * m;
}

void hue_shift(const float *x, const float *shifts6, float *out, int N, int HW, int part0, int part1, float *scratch) {
  const float *R = x, *G = x + N * HW, *B = x + 2 * N * HW;
  float *oR = out, *oG = out + N * HW, *oB = out + 2 * N * HW;
  for (int c = part0; c < part1; c++) {
    float s6 = shifts6[c];
    for (int p = c * HW; p < (c + 1) * HW; p++) {
      float r = R[p], g = G[p], b = B[p];
      float mx = r > g ? r : g;
      mx = mx > b ? mx : b;
      float mn = r < g ? r : g;
      mn = mn < b ? mn : b;
      float chroma = mx - mn;
      float inv = 1.0f / (chroma > 1e-12f ? chroma : 1e-12f);
      float rc = (mx - r) * inv, gc = (mx - g) * inv, bc = (mx - b) * inv;
      float sextant = mx == r ? bc - gc : mx == g ? (rc - bc) + 2.0f : (gc - rc) + 4.0f;
      float h6 = sextant + s6;
      oR[p] = hue_channel(h6, 5.0f, mx, chroma);
      oG[p] = hue_channel(h6, 3.0f, mx, chroma);
      oB[p] = hue_channel(h6, 1.0f, mx, chroma);
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Transpose (any permutation of up to 6 axes) of 4-byte elements.
 *
 * shape and perm are the input's; out[i0..i5] = in[index with axes permuted]. The output is
 * walked in order with one source stride per output axis; when the last axis stays last, whole
 * rows are copied. Parts are ranges of output rows (all axes but the last).
 * ------------------------------------------------------------------------------------------- */

/* Row-major element strides of `shape` (rank axes). */
static void row_major_strides(const int *shape, int rank, int *stride) {
  int acc = 1;
  for (int a = rank - 1; a >= 0; a--) {
    stride[a] = acc;
    acc *= shape[a];
  }
}

/* Copies n contiguous 4-byte elements. */
static void copy_row(const u32 *from, u32 *to, int n) {
  int j = 0;
  for (; j + 4 <= n; j += 4) wasm_v128_store(to + j, wasm_v128_load(from + j));
  for (; j < n; j++) to[j] = from[j];
}

void transpose(const u32 *in, u32 *out, int rank, int s0, int s1, int s2, int s3, int s4, int s5, int p0, int p1,
               int p2, int p3, int p4, int p5, int part0, int part1) {
  int shape[6] = {s0, s1, s2, s3, s4, s5};
  int perm[6] = {p0, p1, p2, p3, p4, p5};
  int inStride[6];
  row_major_strides(shape, rank, inStride);
  int oshape[6], ostride_in[6];
  for (int a = 0; a < rank; a++) {
    oshape[a] = shape[perm[a]];
    ostride_in[a] = inStride[perm[a]];
  }
  int last = oshape[rank - 1];
  int lastStride = ostride_in[rank - 1];
  for (int row = part0; row < part1; row++) {
    /* Source offset of output row `row`: decompose over the output axes 0..rank-2. */
    int rem = row, src = 0;
    for (int a = rank - 2; a >= 0; a--) {
      int idx = rem % oshape[a];
      rem /= oshape[a];
      src += idx * ostride_in[a];
    }
    u32 *dst = out + row * last;
    if (lastStride == 1) {
      copy_row(in + src, dst, last);
    } else {
      for (int j = 0; j < last; j++) dst[j] = in[src + j * lastStride];
    }
  }
}

/* ---------------------------------------------------------------------------------------------
 * Slice of 4-byte elements, up to 6 axes: out = in[begin : begin + size]. Output rows (all axes
 * but the last) are contiguous runs of the input; parts are output rows.
 * ------------------------------------------------------------------------------------------- */

void slice(const u32 *in, u32 *out, int rank, int s0, int s1, int s2, int s3, int s4, int s5, int b0, int b1, int b2,
           int b3, int b4, int b5, int z0, int z1, int z2, int z3, int z4, int z5, int part0, int part1) {
  int shape[6] = {s0, s1, s2, s3, s4, s5};
  int begin[6] = {b0, b1, b2, b3, b4, b5};
  int size[6] = {z0, z1, z2, z3, z4, z5};
  int stride[6];
  row_major_strides(shape, rank, stride);
  int last = size[rank - 1];
  for (int row = part0; row < part1; row++) {
    int rem = row, src = begin[rank - 1];
    for (int a = rank - 2; a >= 0; a--) {
      int idx = rem % size[a];
      rem /= size[a];
      src += (begin[a] + idx) * stride[a];
    }
    copy_row(in + src, out + row * last, last);
  }
}

/* ---------------------------------------------------------------------------------------------
 * Column sums: out[j] = sum over i of x[i][j], x [M, N] row-major (a reduction over leading axes,
 * e.g. a bias gradient; tfjs transposes first). Parts are blocks of 64 columns.
 * ------------------------------------------------------------------------------------------- */

void column_sums(const float *x, float *out, int M, int N, int part0, int part1, float *scratch) {
  for (int part = part0; part < part1; part++) {
    int j0 = part * 64, j1 = j0 + 64 < N ? j0 + 64 : N;
    for (int j = j0; j < j1; j++) out[j] = 0.0f;
    for (int i = 0; i < M; i++) {
      const float *r = x + i * N;
      int j = j0;
      for (; j + 4 <= j1; j += 4) wasm_v128_store(out + j, wasm_f32x4_add(wasm_v128_load(out + j), wasm_v128_load(r + j)));
      for (; j < j1; j++) out[j] += r[j];
    }
  }
}
