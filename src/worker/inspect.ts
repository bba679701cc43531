/**
 * What the inspector asks of a model: attention maps for an image and k-NN accuracy on the labelled
 * images. The model is the run's teacher or student, or loaded weights (uploaded once and cached
 * until other weights are loaded), whichever the person brought in last.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig, ViTConfig } from '../shared/config';
import { IMAGENET_MEAN, IMAGENET_STD } from '../shared/config';
import type { AttentionRequest, AttentionResult, ImagePixels, Network, PatchViewsRequest, PatchViewsResult } from '../shared/protocol';
import { attentionMaps } from '../engine/attention-maps';
import type { DinoRun } from '../engine/dino-run';
import type { ImageStore } from '../engine/image-store';
import { knnClassify, type KnnResult } from '../engine/knn';
import { disposeParams, type Params } from '../engine/params';
import { extractFeatures } from '../engine/eval/features';
import { attentionRollout, patchPca } from '../engine/eval/patch-views';
import { vitForward, vitSelfAttention } from '../engine/vit';
import { resizeForCrop } from '../engine/eval/eval-transform';
import type { LoadedWeights } from '../engine/weights/layouts';

export interface InspectModel {
  params: Params;
  config: ViTConfig;
}

/** Device copies of loaded weights, per network, made on first use. */
export class LoadedModel {
  private uploaded = new Map<Network, Params>();

  constructor(readonly weights: LoadedWeights) {}

  model(network: Network): InspectModel {
    let params = this.uploaded.get(network);
    if (!params) {
      const source = this.weights.networks?.[network]?.backbone ?? this.weights.backbone;
      params = {};
      for (const [n, t] of source) params[`backbone.${n}`] = tf.tensor(t.data, t.shape);
      this.uploaded.set(network, params);
    }
    return { params, config: this.weights.arch };
  }

  dispose(): void {
    for (const p of this.uploaded.values()) disposeParams(p);
    this.uploaded.clear();
  }
}

export function runModel(run: DinoRun, network: Network): InspectModel {
  return { params: network === 'teacher' ? run.model.teacher : run.model.student, config: run.model.vit };
}

/** RGB bytes -> bilinear resize to H x W -> normalised NCHW (1, 3, H, W). Caller owns it. */
export function imageToInput(img: ImagePixels, H: number, W: number, mean: number[], std: number[]): tf.Tensor4D {
  if (img.pixels.length !== img.width * img.height * 3) {
    throw new Error(`image bytes (${img.pixels.length}) do not match ${img.width}x${img.height} RGB`);
  }
  return tf.tidy(() => {
    const x = tf.div(tf.tensor3d(Float32Array.from(img.pixels), [img.height, img.width, 3]), 255);
    const resized = tf.image.resizeBilinear(tf.expandDims(x, 0) as tf.Tensor4D, [H, W], false, true);
    const normed = tf.div(tf.sub(resized, tf.tensor1d(mean)), tf.tensor1d(std));
    return tf.transpose(normed, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}

/** The attention the request asks for; `step` is the run's step, for the caption. */
export async function computeAttention(
  m: InspectModel,
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
    size = [Math.max(p, Math.floor(req.size[0] / p) * p), Math.max(p, Math.floor(req.size[1] / p) * p)];
    x = imageToInput(req.image, size[0], size[1], augment?.mean ?? IMAGENET_MEAN, augment?.std ?? IMAGENET_STD);
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
export async function computePatchViews(m: InspectModel, req: PatchViewsRequest, augment: AugmentConfig | null): Promise<PatchViewsResult> {
  const p = m.config.patchSize;
  const size: [number, number] = [Math.max(p, Math.floor(req.size[0] / p) * p), Math.max(p, Math.floor(req.size[1] / p) * p)];
  const grid: [number, number] = [size[0] / p, size[1] / p];
  const patches = grid[0] * grid[1];
  const n = 1 + patches;
  const d = m.config.embedDim;
  const x = imageToInput(req.image, size[0], size[1], augment?.mean ?? IMAGENET_MEAN, augment?.std ?? IMAGENET_STD);
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

/**
 * Weighted k-NN (official eval_knn rule) of the model's CLS features on the labelled images of
 * `store`: every fifth labelled image is a query, the others the memory bank. Features come from
 * the shared feature loop (engine/eval/features.ts) with the write-up's eval transform, cropped to
 * `size` px. The Evaluate tab offers both rules, other splits and baselines.
 */
export async function knnEvaluate(
  m: InspectModel,
  store: ImageStore,
  augment: AugmentConfig,
  size: number,
  k: number,
  temperature: number,
): Promise<KnnResult & { nTrain: number; nTest: number }> {
  const labels = store.labels;
  const names = [...new Set(labels.filter((l): l is string => l !== null))].sort();
  if (names.length < 2) throw new Error('k-NN needs labelled images of at least two classes (folder names are labels)');
  const labelled = labels.map((l, i) => (l === null ? -1 : i)).filter((i) => i >= 0);
  const test = labelled.filter((_, j) => j % 5 === 0);
  const train = labelled.filter((_, j) => j % 5 !== 0);
  const transform = { resize: resizeForCrop(size), crop: size, mean: augment.mean, std: augment.std };
  const features = async (idx: number[]): Promise<tf.Tensor2D> =>
    tf.tensor2d(await extractFeatures(m, idx.map((i) => store.image(i)), transform, { batchSize: 64 }), [idx.length, m.config.embedDim]);
  const trF = await features(train);
  const teF = await features(test);
  const ids = (idx: number[]) => Int32Array.from(idx, (i) => names.indexOf(labels[i]!));
  try {
    const r = await knnClassify(trF, ids(train), teF, ids(test), names.length, k, temperature);
    return { ...r, nTrain: train.length, nTest: test.length };
  } finally {
    trF.dispose();
    teF.dispose();
  }
}
