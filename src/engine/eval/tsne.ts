/**
 * t-SNE (van der Maaten and Hinton, 2008) with scikit-learn's defaults, the write-up's
 * `TSNE(n_components=2, random_state=42)`:
 *
 *   affinities  p_j|i = exp(-beta_i d_ij^2) / sum_k ..., beta_i found by bisection so that the
 *               entropy of row i is log(perplexity 30); P = (P + P^T) / sum
 *   embedding   q_ij = (1 + |y_i - y_j|^2)^-1 / Z        (Student t, one degree of freedom)
 *   gradient    dC/dy_i = 4 sum_j (p_ij - q_ij) (1 + |y_i - y_j|^2)^-1 (y_i - y_j)
 *   optimiser   gradient descent with momentum 0.5 and P x 12 (early exaggeration) for 250
 *               iterations, then momentum 0.8 to 1000; per-coordinate gains (+0.2 where the step
 *               changes direction, x0.8 otherwise, at least 0.01); learning rate max(n / 48, 50)
 *   init        PCA, scaled so the first coordinate has std 1e-4
 *
 * Two ways to get the gradient, as sklearn: 'exact' (all pairs, P dense; for small n) and
 * 'barnes-hut' (P over the 3 * perplexity nearest neighbours, the repulsion summarised by a
 * quadtree: a cell whose width / distance < angle 0.5 acts as one point at its centre of mass).
 *
 * The optimiser is a class with `step()`, so a worker can run it in slices, report progress and
 * send intermediate maps. Plain TypeScript in float64.
 */
import { squaredDistance } from './knn-uniform';
import { pca } from './pca';

interface TsneOptions {
  /** Effective number of neighbours (sklearn default 30). */
  perplexity: number;
  /** Factor on P during the first `exaggerationIters` iterations (12). */
  earlyExaggeration: number;
  exaggerationIters: number;
  /** Total iterations (1000). */
  iterations: number;
  /** 'auto' = max(n / earlyExaggeration / 4, 50), sklearn's 'auto'. */
  learningRate: number | 'auto';
  /** Barnes-Hut opening angle (0.5). */
  angle: number;
  /** 'auto' uses exact gradients up to `exactMaxN` points. */
  method: 'exact' | 'barnes-hut' | 'auto';
  exactMaxN: number;
}

export const SKLEARN_TSNE: TsneOptions = {
  perplexity: 30,
  earlyExaggeration: 12,
  exaggerationIters: 250,
  iterations: 1000,
  learningRate: 'auto',
  angle: 0.5,
  method: 'auto',
  exactMaxN: 300,
};

const MACHINE_EPSILON = 2.220446049250313e-16;
const PERPLEXITY_TOL = 1e-5;

/**
 * Bisection on beta_i for each row (sklearn's `_binary_search_perplexity`): `dist2` holds, for
 * row i, `cols` squared distances to the candidates; returns the conditional probabilities.
 */
export function conditionalP(dist2: Float64Array, rows: number, cols: number, perplexity: number): Float64Array {
  const p = new Float64Array(rows * cols);
  const target = Math.log(perplexity);
  for (let i = 0; i < rows; i++) {
    let beta = 1;
    let lo = -Infinity;
    let hi = Infinity;
    const d = dist2.subarray(i * cols, (i + 1) * cols);
    const row = p.subarray(i * cols, (i + 1) * cols);
    for (let step = 0; step < 100; step++) {
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        row[j] = Number.isFinite(d[j]) ? Math.exp(-d[j] * beta) : 0;
        sum += row[j];
      }
      if (sum === 0) sum = 1e-8;
      let sumDistP = 0;
      for (let j = 0; j < cols; j++) {
        row[j] /= sum;
        if (Number.isFinite(d[j])) sumDistP += d[j] * row[j];
      }
      const entropy = Math.log(sum) + beta * sumDistP;
      const diff = entropy - target;
      if (Math.abs(diff) <= PERPLEXITY_TOL) break;
      if (diff > 0) {
        lo = beta;
        beta = hi === Infinity ? beta * 2 : (beta + hi) / 2;
      } else {
        hi = beta;
        beta = lo === -Infinity ? beta / 2 : (beta + lo) / 2;
      }
    }
  }
  return p;
}

/** Up to this many points the Barnes-Hut set-up keeps all distances (n^2 float64: 72 MB at 3000). */
const FULL_MATRIX_MAX_N = 3000;

/**
 * All squared Euclidean distances [n, n] (Infinity on the diagonal), each pair computed once.
 * n^2 float64 values: 32 MB at n = 2000, the map's working size.
 */
export function pairwiseSquaredDistances(x: ArrayLike<number>, dim: number, n: number): Float64Array {
  const d = new Float64Array(n * n);
  const row = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    d[i * n + i] = Infinity;
    for (let k = 0; k < dim; k++) row[k] = x[i * dim + k];
    for (let j = i + 1; j < n; j++) {
      const o = j * dim;
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const t = row[k] - x[o + k];
        s += t * t;
      }
      d[i * n + j] = d[j * n + i] = s;
    }
  }
  return d;
}

/** Indices of the k smallest values, ascending (ties by index): a bounded max-heap, O(n log k). */
export function kSmallest(values: ArrayLike<number>, k: number): Int32Array {
  const heap = new Int32Array(k); // max-heap on (value, index)
  let size = 0;
  const above = (a: number, b: number) => values[a] > values[b] || (values[a] === values[b] && a > b);
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let top = i;
      if (l < size && above(heap[l], heap[top])) top = l;
      if (r < size && above(heap[r], heap[top])) top = r;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top], heap[i]];
      i = top;
    }
  };
  for (let j = 0; j < values.length; j++) {
    if (size < k) {
      heap[size] = j;
      for (let i = size++; i > 0 && above(heap[i], heap[(i - 1) >> 1]); i = (i - 1) >> 1) [heap[i], heap[(i - 1) >> 1]] = [heap[(i - 1) >> 1], heap[i]];
    } else if (above(heap[0], j)) {
      heap[0] = j;
      siftDown(0);
    }
  }
  return Int32Array.from(heap.subarray(0, size)).sort((a, b) => values[a] - values[b] || a - b);
}

/** Symmetric joint probabilities as a sparse list of pairs i < j... stored both ways (CSR). */
interface SparseP {
  rowStart: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/** Exact P: dense [n, n], symmetric, zero diagonal, floored at machine epsilon like sklearn. */
function denseP(x: ArrayLike<number>, dim: number, n: number, perplexity: number): Float64Array {
  const d = pairwiseSquaredDistances(x, dim, n);
  const cond = conditionalP(d, n, n, perplexity);
  let sum = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += cond[i * n + j] + cond[j * n + i];
  const p = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) p[i * n + j] = i === j ? 0 : Math.max((cond[i * n + j] + cond[j * n + i]) / sum, MACHINE_EPSILON);
  return p;
}

/** Barnes-Hut P: conditional P over the k = min(n - 1, 3 * perplexity + 1) nearest neighbours, symmetrised. */
function sparseP(x: ArrayLike<number>, dim: number, n: number, perplexity: number): SparseP {
  const k = Math.min(n - 1, Math.floor(3 * perplexity + 1));
  const nbr = new Int32Array(n * k);
  const d2 = new Float64Array(n * k);
  // The full matrix (each pair once) while it is small; beyond that one row at a time, O(n) memory.
  const full = n <= FULL_MATRIX_MAX_N ? pairwiseSquaredDistances(x, dim, n) : null;
  const buffer = full ? null : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let row: Float64Array;
    if (full) row = full.subarray(i * n, (i + 1) * n);
    else {
      row = buffer!;
      for (let j = 0; j < n; j++) row[j] = j === i ? Infinity : squaredDistance(x, dim, i, j);
    }
    const nearest = kSmallest(row, k);
    for (let m = 0; m < k; m++) {
      nbr[i * k + m] = nearest[m];
      d2[i * k + m] = row[nearest[m]];
    }
  }
  const cond = conditionalP(d2, n, k, perplexity);
  // P + P^T over the union of both neighbour lists, then normalised.
  const rows: Map<number, number>[] = Array.from({ length: n }, () => new Map());
  for (let i = 0; i < n; i++) {
    for (let m = 0; m < k; m++) {
      const j = nbr[i * k + m];
      const v = cond[i * k + m];
      rows[i].set(j, (rows[i].get(j) ?? 0) + v);
      rows[j].set(i, (rows[j].get(i) ?? 0) + v);
    }
  }
  let sum = 0;
  for (const r of rows) for (const v of r.values()) sum += v;
  sum = Math.max(sum, MACHINE_EPSILON);
  const rowStart = new Int32Array(n + 1);
  rows.forEach((r, i) => (rowStart[i + 1] = rowStart[i] + r.size));
  const col = new Int32Array(rowStart[n]);
  const val = new Float64Array(rowStart[n]);
  rows.forEach((r, i) => {
    let o = rowStart[i];
    for (const [j, v] of [...r.entries()].sort((a, b) => a[0] - b[0])) {
      col[o] = j;
      val[o++] = v / sum;
    }
  });
  return { rowStart, col, val };
}

// ---- Barnes-Hut quadtree --------------------------------------------------------------------------

/** A quadtree over 2-D points in flat arrays; node 0 is the root. */
class QuadTree {
  cx: number[] = [];
  cy: number[] = [];
  half: number[] = [];
  count: number[] = [];
  comX: number[] = [];
  comY: number[] = [];
  child: number[] = []; // first of four children, or -1 for a leaf
  point: number[] = []; // a leaf's point, or -1 when empty

  constructor(y: Float64Array, n: number) {
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    for (let i = 0; i < n; i++) {
      minX = Math.min(minX, y[2 * i]);
      maxX = Math.max(maxX, y[2 * i]);
      minY = Math.min(minY, y[2 * i + 1]);
      maxY = Math.max(maxY, y[2 * i + 1]);
    }
    const half = Math.max(maxX - minX, maxY - minY, 1e-12) / 2 + 1e-9;
    this.node((minX + maxX) / 2, (minY + maxY) / 2, half);
    for (let i = 0; i < n; i++) this.insert(y, i);
  }

  private node(cx: number, cy: number, half: number): number {
    this.cx.push(cx);
    this.cy.push(cy);
    this.half.push(half);
    this.count.push(0);
    this.comX.push(0);
    this.comY.push(0);
    this.child.push(-1);
    this.point.push(-1);
    return this.cx.length - 1;
  }

  private quadrant(nd: number, px: number, py: number): number {
    return this.child[nd] + (px >= this.cx[nd] ? 1 : 0) + (py >= this.cy[nd] ? 2 : 0);
  }

  private insert(y: Float64Array, i: number): void {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    let nd = 0;
    for (let depth = 0; ; depth++) {
      // Centre of mass as a running mean.
      const c = ++this.count[nd];
      this.comX[nd] += (px - this.comX[nd]) / c;
      this.comY[nd] += (py - this.comY[nd]) / c;
      if (this.child[nd] >= 0) {
        nd = this.quadrant(nd, px, py);
        continue;
      }
      if (c === 1) {
        this.point[nd] = i;
        return;
      }
      const other = this.point[nd];
      // A duplicate point (or a cell too small to split) stays a leaf holding several points.
      if (other < 0 || depth > 50 || (y[2 * other] === px && y[2 * other + 1] === py)) return;
      const h = this.half[nd] / 2;
      const first = this.node(this.cx[nd] - h, this.cy[nd] - h, h);
      this.node(this.cx[nd] + h, this.cy[nd] - h, h);
      this.node(this.cx[nd] - h, this.cy[nd] + h, h);
      this.node(this.cx[nd] + h, this.cy[nd] + h, h);
      this.child[nd] = first;
      this.point[nd] = -1;
      // Move the resident point down (its mass is already counted here).
      const q = this.quadrant(nd, y[2 * other], y[2 * other + 1]);
      this.count[q] = 1;
      this.comX[q] = y[2 * other];
      this.comY[q] = y[2 * other + 1];
      this.point[q] = other;
      nd = this.quadrant(nd, px, py);
    }
  }

  /** Repulsion on point i: adds sum q^2 (y_i - y_j) to force and returns sum q (both unnormalised). */
  repulsion(y: Float64Array, i: number, theta2: number, force: Float64Array): number {
    const px = y[2 * i];
    const py = y[2 * i + 1];
    let z = 0;
    const stack = [0];
    while (stack.length) {
      const nd = stack.pop()!;
      const cnt = this.count[nd];
      if (cnt === 0) continue;
      const dx = px - this.comX[nd];
      const dy = py - this.comY[nd];
      const d2 = dx * dx + dy * dy;
      const leaf = this.child[nd] < 0;
      const width = 2 * this.half[nd];
      if (leaf || width * width < theta2 * d2) {
        // The point's own leaf: its own mass does not repel it.
        const self = leaf && (this.point[nd] === i || d2 === 0) ? 1 : 0;
        const m = cnt - self;
        if (m <= 0) continue;
        const q = 1 / (1 + d2);
        z += m * q;
        force[0] += m * q * q * dx;
        force[1] += m * q * q * dy;
      } else {
        const c = this.child[nd];
        stack.push(c, c + 1, c + 2, c + 3);
      }
    }
    return z;
  }
}

// ---- the optimiser --------------------------------------------------------------------------------

export class Tsne {
  readonly n: number;
  readonly method: 'exact' | 'barnes-hut';
  readonly learningRate: number;
  /** [n, 2] current embedding. */
  readonly y: Float64Array;
  iteration = 0;
  private dense: Float64Array | null = null;
  private sparse: SparseP | null = null;
  private update: Float64Array;
  private gains: Float64Array;
  private grad: Float64Array;

  constructor(
    x: ArrayLike<number>,
    readonly dim: number,
    readonly opts: TsneOptions = SKLEARN_TSNE,
    seed = 42,
  ) {
    const n = x.length / dim;
    if (!Number.isInteger(n) || n < 4) throw new Error(`Tsne: expected a [n >= 4, ${dim}] matrix, got ${x.length} values`);
    if (!(opts.perplexity < n)) throw new Error(`Tsne: perplexity ${opts.perplexity} must be below the number of points ${n}`);
    this.n = n;
    this.method = opts.method === 'auto' ? (n <= opts.exactMaxN ? 'exact' : 'barnes-hut') : opts.method;
    this.learningRate = opts.learningRate === 'auto' ? Math.max(n / opts.earlyExaggeration / 4, 50) : opts.learningRate;
    if (this.method === 'exact') this.dense = denseP(x, dim, n, opts.perplexity);
    else this.sparse = sparseP(x, dim, n, opts.perplexity);
    // PCA initialisation, scaled so the first coordinate has standard deviation 1e-4.
    const init = pca(x, dim, 2, 100, seed).scores;
    let m = 0;
    for (let i = 0; i < n; i++) m += init[2 * i] / n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (init[2 * i] - m) ** 2 / n;
    const scale = 1e-4 / (Math.sqrt(v) || 1);
    this.y = Float64Array.from(init, (a) => a * scale);
    this.update = new Float64Array(2 * n);
    this.gains = new Float64Array(2 * n).fill(1);
    this.grad = new Float64Array(2 * n);
  }

  get done(): boolean {
    return this.iteration >= this.opts.iterations;
  }

  /** The gradient of KL(P || Q) at the current embedding, with P scaled by `exaggeration`. */
  private gradient(exaggeration: number): void {
    const { n, y, grad } = this;
    grad.fill(0);
    if (this.dense) {
      const p = this.dense;
      // Z over all ordered pairs, then each pair's force (symmetric, computed once per pair).
      let z = 0;
      const q = new Float64Array((n * (n - 1)) / 2);
      let o = 0;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const dx = y[2 * i] - y[2 * j];
          const dy = y[2 * i + 1] - y[2 * j + 1];
          q[o] = 1 / (1 + dx * dx + dy * dy);
          z += 2 * q[o++];
        }
      }
      o = 0;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const w = (exaggeration * p[i * n + j] - q[o] / z) * q[o];
          o++;
          const fx = w * (y[2 * i] - y[2 * j]);
          const fy = w * (y[2 * i + 1] - y[2 * j + 1]);
          grad[2 * i] += 4 * fx;
          grad[2 * i + 1] += 4 * fy;
          grad[2 * j] -= 4 * fx;
          grad[2 * j + 1] -= 4 * fy;
        }
      }
      return;
    }
    const { rowStart, col, val } = this.sparse!;
    const tree = new QuadTree(y, n);
    const theta2 = this.opts.angle * this.opts.angle;
    const neg = new Float64Array(2 * n);
    const f = new Float64Array(2);
    let z = 0;
    for (let i = 0; i < n; i++) {
      f[0] = f[1] = 0;
      z += tree.repulsion(y, i, theta2, f);
      neg[2 * i] = f[0];
      neg[2 * i + 1] = f[1];
    }
    for (let i = 0; i < n; i++) {
      let ax = 0;
      let ay = 0;
      for (let e = rowStart[i]; e < rowStart[i + 1]; e++) {
        const j = col[e];
        const dx = y[2 * i] - y[2 * j];
        const dy = y[2 * i + 1] - y[2 * j + 1];
        const w = (exaggeration * val[e]) / (1 + dx * dx + dy * dy);
        ax += w * dx;
        ay += w * dy;
      }
      grad[2 * i] = 4 * (ax - neg[2 * i] / z);
      grad[2 * i + 1] = 4 * (ay - neg[2 * i + 1] / z);
    }
  }

  /** Runs up to `count` iterations; returns the iteration reached. */
  step(count = 1): number {
    const { opts, update, gains, grad, y } = this;
    for (let c = 0; c < count && !this.done; c++) {
      // The two stages are separate optimiser runs in sklearn: momentum and gains restart.
      if (this.iteration === opts.exaggerationIters) {
        update.fill(0);
        gains.fill(1);
      }
      const early = this.iteration < opts.exaggerationIters;
      this.gradient(early ? opts.earlyExaggeration : 1);
      const momentum = early ? 0.5 : 0.8;
      for (let i = 0; i < y.length; i++) {
        gains[i] = update[i] * grad[i] < 0 ? gains[i] + 0.2 : Math.max(gains[i] * 0.8, 0.01);
        update[i] = momentum * update[i] - this.learningRate * gains[i] * grad[i];
        y[i] += update[i];
      }
      this.iteration++;
    }
    return this.iteration;
  }

  /** Runs every remaining iteration and returns the embedding [n, 2]. */
  run(): Float64Array {
    this.step(this.opts.iterations - this.iteration);
    return this.y;
  }
}
