/**
 * Attention maps for the inspector: the attention of one query token (CLS by default) of one
 * block to every patch, per head, reshaped to the patch grid. Only the needed row is read back:
 * for ViT-S/8 at 448 px the full attention is 6 x 3137 x 3137 floats, the CLS row 6 x 3136.
 */
import * as tf from '@tensorflow/tfjs';
import type { ViTConfig } from '../shared/config';
import type { Params } from './params';
import { vitForward } from './vit';

interface AttentionMaps {
  /** [heads, rows, cols] row-major, image 0 of the batch. */
  maps: Float32Array;
  heads: number;
  grid: [number, number];
}

/** Slices attn (B, nh, rows, N) to row `query` of image 0 without its entry for the CLS key: (nh, P). */
export function queryRow(attn: tf.Tensor4D, query: number): tf.Tensor2D {
  const [, nh, rows, N] = attn.shape;
  if (query < 0 || query >= rows) throw new Error(`query token ${query} out of range 0..${rows - 1}`);
  return tf.tidy(() => tf.reshape(tf.slice(attn, [0, 0, query, 1], [1, nh, 1, N - 1]), [nh, N - 1]) as tf.Tensor2D);
}

/**
 * Attention of `query` (0 = CLS, 1 + r*cols + c = a patch) in block `blockIndex` (negative counts
 * from the end) for one image x (1, 3, H, W). Reads back only (heads, P) floats.
 */
export async function attentionMaps(
  p: Params,
  c: ViTConfig,
  x: tf.Tensor4D,
  blockIndex = -1,
  query = 0,
): Promise<AttentionMaps> {
  const blk = blockIndex < 0 ? c.depth + blockIndex : blockIndex;
  const { row, grid } = tf.tidy(() => {
    const N = 1 + (x.shape[2] / c.patchSize) * (x.shape[3] / c.patchSize);
    if (!(query >= 0 && query < N)) throw new Error(`query token ${query} out of range 0..${N - 1}`);
    const out = vitForward(p, c, x, { attentionOfBlock: blk, attentionQuery: query });
    return { row: queryRow(out.attn!, 0), grid: out.grid };
  });
  const maps = (await row.data()) as Float32Array;
  row.dispose();
  return { maps: new Float32Array(maps), heads: c.numHeads, grid };
}
