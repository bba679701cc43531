/**
 * What the inspector asks of a model, for one image: the attention of a block (per head, from the
 * CLS token or a clicked patch), and the patch views (PCA of the last block's patch tokens as RGB,
 * attention rollout over every block). The model is any FeatureModel (model-source.ts).
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../shared/config';
import { IMAGENET_MEAN, IMAGENET_STD } from '../shared/config';
import type { AttentionRequest, AttentionResult, ImagePixels, PatchViewsRequest, PatchViewsResult } from '../shared/protocol';
import { attentionMaps } from './attention-maps';
import type { FeatureModel } from './eval/features';
import { attentionRollout, patchPca } from './eval/patch-views';
import { vitForward, vitSelfAttention } from './vit';

/** The request's [H, W] rounded down to whole patches of side p (at least one). */
function patchAligned(size: readonly [number, number], p: number): [number, number] {
  return [Math.max(p, Math.floor(size[0] / p) * p), Math.max(p, Math.floor(size[1] / p) * p)];
}

/** RGB bytes -> bilinear resize to H x W -> normalised NCHW (1, 3, H, W). Caller owns it. */
function imageToInput(img: ImagePixels, [H, W]: [number, number], augment: AugmentConfig | null): tf.Tensor4D {
  const mean = augment?.mean ?? IMAGENET_MEAN;
  const std = augment?.std ?? IMAGENET_STD;
  if (img.pixels.length !== img.width * img.height * 3) {
    throw new Error(`image bytes (${img.pixels.length}) do not match ${img.width}x${img.height} RGB`);
  }
  return tf.tidy(() => {
    const x = tf.div(tf.tensor3d(Float32Array.from(img.pixels), [img.height, img.width, 3]), 255);
    const resized = tf.image.resizeBilinear(tf.expandDims(x, 0) as tf.Tensor4D, [H, W], false, true);
    const normed = tf.div(tf.sub(resized, tf.tensor1d([...mean])), tf.tensor1d([...std]));
    return tf.transpose(normed, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}

/** The attention the request asks for; `step` is the run's step, for the caption. */
export async function computeAttention(
  m: FeatureModel,
  req: AttentionRequest,
  augment: AugmentConfig | null,
  step: number,
): Promise<Omit<AttentionResult, 'model'>> {
  const p = m.config.patchSize;
  let size: [number, number];
  let x: tf.Tensor4D;
  if (req.input) {
    size = [req.input.shape[2], req.input.shape[3]];
    x = tf.tensor4d(req.input.data, req.input.shape);
  } else {
    size = patchAligned(req.size, p);
    x = imageToInput(req.image, size, augment);
  }
  try {
    const block = req.block < 0 ? m.config.depth + req.block : req.block;
    const maps = await attentionMaps(m.params, m.config, x, block, req.query);
    return { ...maps, size, patchSize: p, network: req.network, block, query: req.query, step };
  } finally {
    x.dispose();
  }
}

/**
 * Patch PCA as RGB (last block's patch tokens) and attention rollout over every block, for one
 * image at `req.size`. Rollout needs each block's attention: one forward per block, stopped there.
 */
export async function computePatchViews(m: FeatureModel, req: PatchViewsRequest, augment: AugmentConfig | null): Promise<PatchViewsResult> {
  const p = m.config.patchSize;
  const size = patchAligned(req.size, p);
  const grid: [number, number] = [size[0] / p, size[1] / p];
  const patches = grid[0] * grid[1];
  const n = 1 + patches;
  const d = m.config.embedDim;
  const x = imageToInput(req.image, size, augment);
  try {
    const tokensT = tf.tidy(() => vitForward(m.params, m.config, x).tokens!); // (1, N, D)
    const tokens = ((await tokensT.data()) as Float32Array).slice(d); // CLS row dropped: (P, D)
    tokensT.dispose();
    const attns: Float32Array[] = [];
    for (let b = 0; b < m.config.depth; b++) {
      const a = vitSelfAttention(m.params, m.config, x, b); // (1, H, N, N)
      attns.push((await a.data()) as Float32Array);
      a.dispose();
      await new Promise((r) => setTimeout(r, 0));
    }
    const pca = patchPca(tokens, grid[0], grid[1], d);
    const rollout = attentionRollout(attns, m.config.numHeads, n, req.fusion, req.discardRatio);
    return { grid, pcaRgb: pca.rgb, foreground: pca.foreground, rollout: Float32Array.from(rollout), fusion: req.fusion, discardRatio: req.discardRatio };
  } finally {
    x.dispose();
  }
}
