/**
 * DINO's thresholded attention masks (the post-processing of the official `visualize_attention.py`):
 * per head, keep the smallest set of most-attended patches that carries at least `threshold` of the
 * attention mass. Pure code on host arrays; used by the engine's conformance checks and by the UI.
 */

/**
 * `maps` is [heads, P] (any query's attention to the P patches, not necessarily summing to 1).
 * Returns 0/1 marks [heads, P] in patch order: a patch is kept when the running sum of the
 * renormalised, ascending-sorted values at its position is strictly greater than 1 - threshold.
 */
export function thresholdMasks(maps: Float32Array, heads: number, threshold: number): Float32Array {
  const P = maps.length / heads;
  if (!Number.isInteger(P)) throw new Error(`attention maps of length ${maps.length} do not split into ${heads} heads`);
  const out = new Float32Array(maps.length);
  for (let h = 0; h < heads; h++) {
    const row = maps.subarray(h * P, (h + 1) * P);
    let total = 0;
    for (const v of row) total += v;
    const order = Array.from({ length: P }, (_, i) => i).sort((a, b) => row[a] - row[b]);
    let running = 0;
    for (const i of order) {
      running += row[i] / total;
      if (running > 1 - threshold) out[h * P + i] = 1;
    }
  }
  return out;
}

/** Mean over heads of [heads, P] maps -> [P]. */
export function meanOverHeads(maps: Float32Array, heads: number): Float32Array {
  const P = maps.length / heads;
  const out = new Float32Array(P);
  for (let h = 0; h < heads; h++) for (let i = 0; i < P; i++) out[i] += maps[h * P + i] / heads;
  return out;
}
