/**
 * Metric series for long runs: columns of float64 that grow geometrically (amortised O(1) append),
 * and the two display transforms charts need, EMA smoothing and min/max decimation, so a 100k-step
 * run draws about a thousand points per line and every spike stays visible.
 */

/** Column-oriented table of numbers. Columns are views into buffers that double when full. */
export class ColumnTable<K extends string> {
  private cols: Record<K, Float64Array>;
  private n = 0;

  constructor(
    readonly fields: readonly K[],
    private capacity = 256,
  ) {
    this.cols = {} as Record<K, Float64Array>;
    for (const f of fields) this.cols[f] = new Float64Array(capacity);
  }

  get length(): number {
    return this.n;
  }

  push(row: Record<K, number>): void {
    if (this.n === this.capacity) this.grow(this.capacity * 2);
    for (const f of this.fields) this.cols[f][this.n] = row[f];
    this.n++;
  }

  /** The first `length` values of a column (a view: valid until the next push). */
  column(field: K): Float64Array {
    return this.cols[field].subarray(0, this.n);
  }

  /** Keep only the first `length` rows. */
  truncate(length: number): void {
    this.n = Math.max(0, Math.min(this.n, length));
  }

  clear(): void {
    this.n = 0;
  }

  private grow(capacity: number): void {
    for (const f of this.fields) {
      const next = new Float64Array(capacity);
      next.set(this.cols[f]);
      this.cols[f] = next;
    }
    this.capacity = capacity;
  }
}

/** First index i in sorted `xs` with xs[i] >= v (xs.length when none). */
export function lowerBound(xs: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface Points {
  x: Float64Array;
  y: Float64Array;
}

/**
 * Min/max decimation of a line sorted by x. The points inside `range` (plus one neighbour on each
 * side, so the line reaches the plot edge) are cut into `buckets` runs of equal count; each run
 * keeps its lowest and highest finite point, in x order. A run with no finite value yields one NaN
 * point, which a line generator turns into a gap. Lines shorter than 2 * buckets are returned
 * whole.
 */
export function minMaxDownsample(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  buckets: number,
  range?: [number, number],
): Points {
  const n = Math.min(x.length, y.length);
  let i0 = 0;
  let i1 = n;
  if (range) {
    i0 = Math.max(0, lowerBound(x, range[0]) - 1);
    i1 = Math.min(n, lowerBound(x, range[1]) + 1);
  }
  const count = Math.max(0, i1 - i0);
  if (count <= 2 * buckets) {
    return { x: Float64Array.from({ length: count }, (_, i) => x[i0 + i]), y: Float64Array.from({ length: count }, (_, i) => y[i0 + i]) };
  }
  const ox: number[] = [];
  const oy: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const s = i0 + Math.floor((b * count) / buckets);
    const e = i0 + Math.floor(((b + 1) * count) / buckets);
    let iMin = -1;
    let iMax = -1;
    for (let i = s; i < e; i++) {
      const v = y[i];
      if (!Number.isFinite(v)) continue;
      if (iMin < 0 || v < y[iMin]) iMin = i;
      if (iMax < 0 || v > y[iMax]) iMax = i;
    }
    if (iMin < 0) {
      ox.push(x[s]);
      oy.push(NaN);
    } else if (iMin === iMax) {
      ox.push(x[iMin]);
      oy.push(y[iMin]);
    } else {
      const [a, c] = iMin < iMax ? [iMin, iMax] : [iMax, iMin];
      ox.push(x[a], x[c]);
      oy.push(y[a], y[c]);
    }
  }
  return { x: Float64Array.from(ox), y: Float64Array.from(oy) };
}

/**
 * Exponential moving average with TensorBoard's debiasing: s_t = w s_{t-1} + (1 - w) y_t, divided
 * by 1 - w^t so the first points are not pulled towards 0. Non-finite values pass through unchanged
 * and do not enter the average. weight 0 returns a copy.
 */
export function emaSmooth(y: ArrayLike<number>, weight: number): Float64Array {
  const out = new Float64Array(y.length);
  let acc = 0;
  let t = 0;
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isFinite(v)) {
      out[i] = v;
      continue;
    }
    acc = weight * acc + (1 - weight) * v;
    t++;
    out[i] = weight === 0 ? v : acc / (1 - Math.pow(weight, t));
  }
  return out;
}
