/**
 * The write-up's k-NN classifier, sklearn's `KNeighborsClassifier(n_neighbors=k)` with its
 * defaults: Euclidean distance, the k nearest training rows each with one equal vote, and among
 * classes with equally many votes the smallest class id wins (scipy.stats.mode).
 *
 * The official DINO rule (cosine similarity, votes weighted by exp(sim / T)) is `engine/knn.ts`.
 * Plain TypeScript in float64: n_query x n_train x dim is small for the datasets this runs on.
 */

interface UniformKnnResult {
  /** Predicted class per query. */
  pred: Int32Array;
  /** [nQuery, k] training row indices (into the feature rows), nearest first. */
  neighbors: Int32Array;
  /** Per query: distance of neighbour k + 1 minus that of neighbour k (Infinity when there is none). */
  borderGap: Float64Array;
}

/** Rows of a row-major [n, dim] matrix: the squared Euclidean distance between rows a and b. */
export function squaredDistance(x: ArrayLike<number>, dim: number, a: number, b: number): number {
  let s = 0;
  const oa = a * dim;
  const ob = b * dim;
  for (let j = 0; j < dim; j++) {
    const d = x[oa + j] - x[ob + j];
    s += d * d;
  }
  return s;
}

/** The class with the most votes; ties to the smallest class id. */
export function majorityVote(labels: ArrayLike<number>): number {
  const votes = new Map<number, number>();
  let best = -1;
  let bestVotes = 0;
  for (let i = 0; i < labels.length; i++) votes.set(labels[i], (votes.get(labels[i]) ?? 0) + 1);
  for (const [c, v] of votes) {
    if (v > bestVotes || (v === bestVotes && c < best)) {
      best = c;
      bestVotes = v;
    }
  }
  return best;
}

/**
 * Classifies the `query` rows by the k nearest `train` rows of the same feature matrix [n, dim].
 * Equal distances are ordered by row index.
 */
export function knnUniform(
  features: ArrayLike<number>,
  dim: number,
  labels: ArrayLike<number>,
  train: ArrayLike<number>,
  query: ArrayLike<number>,
  k: number,
): UniformKnnResult {
  if (!(k >= 1 && k <= train.length)) throw new Error(`knnUniform: k must be in 1..${train.length} (the training rows), got ${k}`);
  const nq = query.length;
  const pred = new Int32Array(nq);
  const neighbors = new Int32Array(nq * k);
  const borderGap = new Float64Array(nq);
  const dist = new Float64Array(train.length);
  const order = Array.from({ length: train.length }, (_, i) => i);
  for (let q = 0; q < nq; q++) {
    for (let t = 0; t < train.length; t++) dist[t] = squaredDistance(features, dim, query[q], train[t]);
    order.sort((a, b) => dist[a] - dist[b] || train[a] - train[b]);
    const nearLabels = new Int32Array(k);
    for (let j = 0; j < k; j++) {
      neighbors[q * k + j] = train[order[j]];
      nearLabels[j] = labels[train[order[j]]];
    }
    pred[q] = majorityVote(nearLabels);
    borderGap[q] = k < train.length ? Math.sqrt(dist[order[k]]) - Math.sqrt(dist[order[k - 1]]) : Infinity;
  }
  return { pred, neighbors, borderGap };
}

/** Fraction of queries whose prediction equals their label. */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>, query: ArrayLike<number>): number {
  let hit = 0;
  for (let q = 0; q < query.length; q++) if (pred[q] === labels[query[q]]) hit++;
  return hit / query.length;
}
