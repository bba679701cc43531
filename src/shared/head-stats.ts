/**
 * Per-head statistics of the CLS attention maps, to find the heads that segment:
 * - entropy of each head's attention over the patches (renormalised to sum 1), in nats: low means
 *   the head looks at few patches; log(P) is uniform attention;
 * - Jaccard index |M ∩ F| / |M ∪ F| of each head's thresholded mask M (DINO's: the patches holding
 *   the top `threshold` of the attention mass) with a foreground mask F.
 * Pure: the UI computes these from maps it already has.
 */
import { thresholdMasks } from './attention-masks';

/** `maps` [heads, P]; returns one entropy per head. */
export function headEntropies(maps: Float32Array, heads: number): Float64Array {
  const p = maps.length / heads;
  return Float64Array.from({ length: heads }, (_, h) => {
    let total = 0;
    for (let i = 0; i < p; i++) total += maps[h * p + i];
    let e = 0;
    for (let i = 0; i < p; i++) {
      const q = maps[h * p + i] / total;
      if (q > 0) e -= q * Math.log(q);
    }
    return e;
  });
}

/** Jaccard index of each head's thresholded mask with `foreground` (P values, 1 = foreground). */
export function headJaccard(maps: Float32Array, heads: number, threshold: number, foreground: ArrayLike<number>): Float64Array {
  const p = maps.length / heads;
  if (foreground.length !== p) throw new Error(`headJaccard: a foreground of ${foreground.length} patches for maps of ${p}`);
  const masks = thresholdMasks(maps, heads, threshold);
  return Float64Array.from({ length: heads }, (_, h) => {
    let inter = 0;
    let union = 0;
    for (let i = 0; i < p; i++) {
      const m = masks[h * p + i] > 0;
      const f = foreground[i] > 0;
      if (m && f) inter++;
      if (m || f) union++;
    }
    return union ? inter / union : 0;
  });
}
