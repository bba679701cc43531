/**
 * Trustworthiness of an embedding (Venna and Kaski; sklearn.manifold.trustworthiness): how far
 * the embedding's k nearest neighbours of each point sit in the original space's ranking.
 *
 *   T(k) = 1 - 2 / (n k (2n - 3k - 1)) * sum_i sum_{j in N_k^emb(i)} max(0, r(i, j) - k)
 *
 * r(i, j) is the rank of j among i's neighbours in the original space (1 = nearest, i itself
 * excluded), N_k^emb(i) the k nearest neighbours of i in the embedding. 1 means every embedded
 * neighbour is a true neighbour. Euclidean distances in both spaces.
 */
import { squaredDistance } from './knn-uniform';

/** `x` is [n, dimX] and `y` is [n, dimY], row-major. Requires k < n / 2, as sklearn does. */
export function trustworthiness(x: ArrayLike<number>, dimX: number, y: ArrayLike<number>, dimY: number, k: number): number {
  const n = x.length / dimX;
  if (!Number.isInteger(n) || y.length !== n * dimY) throw new Error(`trustworthiness: x holds ${x.length / dimX} rows of ${dimX}, y ${y.length / dimY} rows of ${dimY}`);
  if (!(k >= 1 && k < n / 2)) throw new Error(`trustworthiness: k must be in 1..${Math.ceil(n / 2) - 1} for ${n} points, got ${k}`);
  const rank = new Int32Array(n);
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  const orderY = Array.from({ length: n }, (_, i) => i);
  let penalty = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      dx[j] = j === i ? Infinity : squaredDistance(x, dimX, i, j);
      dy[j] = j === i ? Infinity : squaredDistance(y, dimY, i, j);
    }
    order.sort((a, b) => dx[a] - dx[b] || a - b);
    for (let r = 0; r < n; r++) rank[order[r]] = r + 1;
    orderY.sort((a, b) => dy[a] - dy[b] || a - b);
    for (let m = 0; m < k; m++) penalty += Math.max(0, rank[orderY[m]] - k);
  }
  return 1 - (2 / (n * k * (2 * n - 3 * k - 1))) * penalty;
}
