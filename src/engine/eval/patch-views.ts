/**
 * Two views of what the ViT computes beyond the last block's CLS attention row:
 *
 * - Patch PCA (the DINOv2-style picture): the first three principal components of the last block's
 *   patch tokens, each scaled to 0..255, as RGB. The first component separates object from
 *   background; its sign is arbitrary, so the side where most border patches fall is taken as
 *   background. Background patches are drawn black.
 * - Attention rollout (Abnar and Zuidema, 2020): per block, heads fused (mean, max or min), the
 *   weakest `discardRatio` of the weights set to 0 (never CLS -> CLS), the residual added
 *   (A + I) / 2 and rows renormalised; the product over blocks, read at the CLS row. Only that row
 *   is needed, so it is propagated as a vector: v = e_cls^T A_L ... A_1, O(L N^2).
 *
 * Plain TypeScript on host arrays; the worker gets tokens and attentions from vit.ts.
 */
import { pca } from './pca';

type HeadFusion = 'mean' | 'max' | 'min';

interface PatchPca {
  /** [P, 3] bytes, RGB per patch (row-major over the grid); background patches are 0. */
  rgb: Uint8Array;
  /** 1 where the patch is foreground. */
  foreground: Uint8Array;
  /** Variance of the three components. */
  variance: number[];
}

/** `tokens` [P, D] patch tokens (CLS excluded) on a rows x cols grid. */
export function patchPca(tokens: ArrayLike<number>, rows: number, cols: number, dim: number): PatchPca {
  const p = rows * cols;
  if (tokens.length !== p * dim) throw new Error(`patchPca: expected ${p} x ${dim} token values, got ${tokens.length}`);
  const m = Math.min(3, dim, p);
  const r = pca(tokens, dim, m);
  const first = Float64Array.from({ length: p }, (_, i) => r.scores[i * m]);
  // Border patches vote for which sign of the first component is background.
  let borderPositive = 0;
  let border = 0;
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      if (y > 0 && y < rows - 1 && x > 0 && x < cols - 1) continue;
      border++;
      if (first[y * cols + x] > 0) borderPositive++;
    }
  }
  const backgroundPositive = borderPositive * 2 > border;
  const foreground = Uint8Array.from(first, (v) => ((backgroundPositive ? v <= 0 : v > 0) ? 1 : 0));
  const rgb = new Uint8Array(p * 3);
  for (let c = 0; c < m; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < p; i++) {
      if (!foreground[i]) continue;
      lo = Math.min(lo, r.scores[i * m + c]);
      hi = Math.max(hi, r.scores[i * m + c]);
    }
    const span = hi > lo ? hi - lo : 1;
    for (let i = 0; i < p; i++) if (foreground[i]) rgb[i * 3 + c] = Math.round((255 * (r.scores[i * m + c] - lo)) / span);
  }
  return { rgb, foreground, variance: Array.from(r.variance) };
}

/** One block's heads [H, N, N] fused into [N, N]. */
export function fuseHeads(attn: ArrayLike<number>, heads: number, n: number, fusion: HeadFusion): Float64Array {
  const out = new Float64Array(n * n);
  for (let e = 0; e < n * n; e++) {
    let v = fusion === 'mean' ? 0 : attn[e];
    for (let h = 0; h < heads; h++) {
      const a = attn[h * n * n + e];
      if (fusion === 'mean') v += a / heads;
      else if (fusion === 'max') v = Math.max(v, a);
      else v = Math.min(v, a);
    }
    out[e] = v;
  }
  return out;
}

/**
 * Rollout of the CLS token's attention to the patches: `attns` holds each block's [H, N, N]
 * probabilities, first block first. Returns [N - 1] values scaled so the largest is 1.
 */
export function attentionRollout(attns: ArrayLike<number>[], heads: number, n: number, fusion: HeadFusion, discardRatio: number): Float64Array {
  if (!(discardRatio >= 0 && discardRatio < 1)) throw new Error(`attentionRollout: discard ratio must be in [0, 1), got ${discardRatio}`);
  // Each block's matrix after fusion, discarding and the residual, rows renormalised.
  const mats = attns.map((a) => {
    const f = fuseHeads(a, heads, n, fusion);
    const drop = Math.floor(n * n * discardRatio);
    if (drop > 0) {
      const order = Array.from(f.keys()).sort((x, y) => f[x] - f[y] || x - y);
      let dropped = 0;
      for (const e of order) {
        if (dropped === drop) break;
        if (e === 0) continue; // CLS -> CLS is kept
        f[e] = 0;
        dropped++;
      }
    }
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) {
        f[i * n + j] = (f[i * n + j] + (i === j ? 1 : 0)) / 2;
        s += f[i * n + j];
      }
      for (let j = 0; j < n; j++) f[i * n + j] /= s;
    }
    return f;
  });
  // v = e_cls^T A_L A_{L-1} ... A_1
  let v = new Float64Array(n);
  v[0] = 1;
  for (let b = mats.length - 1; b >= 0; b--) {
    const next = new Float64Array(n);
    const a = mats[b];
    for (let i = 0; i < n; i++) {
      if (v[i] === 0) continue;
      for (let j = 0; j < n; j++) next[j] += v[i] * a[i * n + j];
    }
    v = next;
  }
  const patches = v.slice(1);
  const max = Math.max(...patches);
  return max > 0 ? patches.map((x) => x / max) : patches;
}
