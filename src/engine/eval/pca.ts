/**
 * Principal components of a row-major [n, dim] matrix by block power (subspace) iteration on the
 * centred data, never forming the dim x dim covariance: each round is X^T (X V), then an
 * orthonormalisation. Used for the instant PCA map, t-SNE's PCA initialisation and patch PCA.
 * Signs are fixed so that each component's largest-magnitude loading is positive. Iterates until
 * the components stop moving (1e-10) or `iterations` rounds.
 */
import { Rng } from '../../shared/rng';

interface PcaResult {
  /** [n, m] projections of the centred rows onto the components. */
  scores: Float64Array;
  /** [m, dim] unit components. */
  components: Float64Array;
  /** Variance along each component (divided by n - 1). */
  variance: Float64Array;
}

/** Gram-Schmidt on m row vectors of length d, in place. */
function orthonormalise(v: Float64Array, m: number, d: number): void {
  for (let a = 0; a < m; a++) {
    for (let b = 0; b < a; b++) {
      let dot = 0;
      for (let j = 0; j < d; j++) dot += v[a * d + j] * v[b * d + j];
      for (let j = 0; j < d; j++) v[a * d + j] -= dot * v[b * d + j];
    }
    let norm = 0;
    for (let j = 0; j < d; j++) norm += v[a * d + j] ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let j = 0; j < d; j++) v[a * d + j] /= norm;
  }
}

export function pca(x: ArrayLike<number>, dim: number, m: number, iterations = 100, seed = 0): PcaResult {
  const n = x.length / dim;
  if (!Number.isInteger(n) || n < 2) throw new Error(`pca: expected a [n >= 2, ${dim}] matrix, got ${x.length} values`);
  if (!(m >= 1 && m <= Math.min(dim, n))) throw new Error(`pca: m must be in 1..${Math.min(dim, n)}, got ${m}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) mean[j] += x[i * dim + j] / n;
  const c = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let j = 0; j < dim; j++) c[i * dim + j] = x[i * dim + j] - mean[j];
  const rng = new Rng(seed);
  const v = Float64Array.from({ length: m * dim }, () => rng.next() - 0.5);
  orthonormalise(v, m, dim);
  const xv = new Float64Array(n * m);
  const project = () => {
    xv.fill(0);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) {
        let s = 0;
        for (let j = 0; j < dim; j++) s += c[i * dim + j] * v[a * dim + j];
        xv[i * m + a] = s;
      }
    }
  };
  const prev = new Float64Array(m * dim);
  for (let it = 0; it < iterations; it++) {
    project();
    prev.set(v);
    v.fill(0);
    for (let i = 0; i < n; i++) {
      for (let a = 0; a < m; a++) {
        const w = xv[i * m + a];
        const o = a * dim;
        const r = i * dim;
        for (let j = 0; j < dim; j++) v[o + j] += c[r + j] * w;
      }
    }
    orthonormalise(v, m, dim);
    // Converged when the components stop moving (up to sign, which the iteration keeps).
    let change = 0;
    for (let e = 0; e < v.length; e++) change = Math.max(change, Math.abs(v[e] - prev[e]));
    if (change < 1e-10) break;
  }
  // Order by variance (the iteration converges to the top subspace; Gram-Schmidt keeps the order close).
  project();
  const variance = new Float64Array(m);
  for (let a = 0; a < m; a++) for (let i = 0; i < n; i++) variance[a] += xv[i * m + a] ** 2 / (n - 1);
  for (let a = 0; a < m; a++) {
    let big = 0;
    for (let j = 0; j < dim; j++) if (Math.abs(v[a * dim + j]) > Math.abs(big)) big = v[a * dim + j];
    if (big < 0) {
      for (let j = 0; j < dim; j++) v[a * dim + j] = -v[a * dim + j];
      for (let i = 0; i < n; i++) xv[i * m + a] = -xv[i * m + a];
    }
  }
  const idx = Array.from({ length: m }, (_, a) => a).sort((p, q) => variance[q] - variance[p]);
  const scores = new Float64Array(n * m);
  const components = new Float64Array(m * dim);
  idx.forEach((a, r) => {
    for (let i = 0; i < n; i++) scores[i * m + r] = xv[i * m + a];
    components.set(v.subarray(a * dim, (a + 1) * dim), r * dim);
  });
  return { scores, components, variance: Float64Array.from(idx, (a) => variance[a]) };
}
