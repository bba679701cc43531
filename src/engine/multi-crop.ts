/**
 * Multi-crop (official `DataAugmentationDINO.__call__`): for every image of a batch, two global
 * crops and `nLocalCrops` local crops, each augmented with its own random parameters.
 *
 * Crops are crop-major, as the official loader stacks them: row c * B + b is crop c of image b,
 * with crops ordered [global1, global2, local1 .. localL]. The teacher sees the first 2B rows.
 * Parameters are drawn in that same order, so a seed fixes the whole batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../shared/config';
import type { ImagePixels } from '../shared/protocol';
import type { Rng } from '../shared/rng';
import { augmentCrops, cropResizeOf, drawCropParams, normalize, type CropParams } from './augment';
import { singleImageSource, type CropSource } from './image-store';

interface MultiCropParams {
  /** 2B crops: global crop 1 of images 0..B-1, then global crop 2 of images 0..B-1. */
  globals: CropParams[];
  /** nLocalCrops * B crops, crop-major. */
  locals: CropParams[];
}

/** Draws the parameters of every crop for images with these valid [height, width] regions. */
export function drawMultiCropParams(validHW: readonly [number, number][], cfg: AugmentConfig, rng: Rng): MultiCropParams {
  const draw = (kind: 'global1' | 'global2' | 'local'): CropParams[] =>
    validHW.map(([h, w]) => drawCropParams(rng, kind, h, w, cfg));
  const globals = [...draw('global1'), ...draw('global2')];
  const locals: CropParams[] = [];
  for (let c = 0; c < cfg.nLocalCrops; c++) locals.push(...draw('local'));
  return { globals, locals };
}

interface MultiCropBatch {
  /** [2B, 3, S, S] normalised, crop-major (rows 0..B-1 global crop 1, B..2B-1 global crop 2). */
  globals: tf.Tensor4D;
  /** [nLocalCrops * B, 3, L, L] normalised, crop-major; null when nLocalCrops is 0. */
  locals: tf.Tensor4D | null;
}

/** Crops augmented at a time (see multiCrop). */
export const AUGMENT_CHUNK = 16;

/** Row b of the source for every crop of a crop-major list of `crops` crops of B images. */
function cropMajorRows(b: number, crops: number): Int32Array {
  return Int32Array.from({ length: b * crops }, (_, i) => i % b);
}

/**
 * The augmented crops of images `indices` (B of them), ready for the ViT. The caller owns both
 * returned tensors; everything else is freed. Draws from `rng` (see drawMultiCropParams).
 */
export function multiCrop(source: CropSource, indices: Int32Array, cfg: AugmentConfig, rng: Rng): MultiCropBatch {
  const b = indices.length;
  const src = source.sourceFor(indices);
  try {
    const params = drawMultiCropParams(src.validHW, cfg, rng);
    // Crops are independent (their random parameters are drawn above), so they are made a chunk
    // at a time: the augmentation's intermediates (many times the crops' size) stay one chunk's.
    const make = (crops: CropParams[], size: number): tf.Tensor4D => {
      const rows = cropMajorRows(b, crops.length / b);
      const parts: tf.Tensor4D[] = [];
      try {
        for (let i = 0; i < crops.length; i += AUGMENT_CHUNK) {
          const j = Math.min(crops.length, i + AUGMENT_CHUNK);
          // The chunk's own images, so that its box indices stay below its crop count (augmentCrops).
          const own = [...new Set(rows.subarray(i, j))];
          const at = new Map(own.map((r, k) => [r, k]));
          const boxes = Int32Array.from(rows.subarray(i, j), (r) => at.get(r)!);
          parts.push(
            tf.tidy(() => {
              const images = own.length === b && own.every((r, k) => r === k) ? src.images : tf.gather(src.images, own);
              return normalize(augmentCrops(images, boxes, crops.slice(i, j), size, cfg.blurSigma[1], cropResizeOf(cfg)), cfg.mean, cfg.std);
            }),
          );
        }
        return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      } finally {
        if (parts.length > 1) tf.dispose(parts);
      }
    };
    const globals = make(params.globals, cfg.globalSize);
    const locals = params.locals.length > 0 ? make(params.locals, cfg.localSize) : null;
    return { globals, locals };
  } finally {
    src.dispose();
  }
}

interface CropPreview {
  /** RGB bytes 0..255 (augmented, not normalised), global crops first, then local crops. */
  crops: ImagePixels[];
  kinds: ('global' | 'local')[];
  /** The parameters of each crop, in the same order (for captions: flip, jitter, blur ...). */
  params: CropParams[];
}

/** NCHW crops [N, 3, S, S] in 0..1 read back as RGB byte images (HWC); disposes x. */
async function toImages(x: tf.Tensor4D): Promise<ImagePixels[]> {
  const [n, , s] = x.shape;
  const data = await x.data();
  x.dispose();
  const plane = s * s;
  return Array.from({ length: n }, (_, i) => {
    const pixels = new Uint8Array(plane * 3);
    for (let c = 0; c < 3; c++) {
      const base = (i * 3 + c) * plane;
      for (let p = 0; p < plane; p++) pixels[p * 3 + c] = Math.min(255, Math.max(0, Math.round(data[base + p] * 255)));
    }
    return { width: s, height: s, pixels };
  });
}

/**
 * One multi-crop set of a single image, for the UI's augmentation preview. Async because it reads
 * the crops back (`data()`, which does not stall WebGPU the way `dataSync()` does). Draws from
 * `rng` exactly as multiCrop would for a batch of this one image.
 */
export async function previewCrops(image: ImagePixels, cfg: AugmentConfig, rng: Rng): Promise<CropPreview> {
  const params = drawMultiCropParams([[image.height, image.width]], cfg, rng);
  const [globals, locals] = tf.tidy(() => {
    const src = singleImageSource(image).sourceFor(new Int32Array([0]));
    const make = (crops: CropParams[], size: number): tf.Tensor4D =>
      augmentCrops(src.images, new Int32Array(crops.length), crops, size, cfg.blurSigma[1], cropResizeOf(cfg));
    return [make(params.globals, cfg.globalSize), ...(params.locals.length > 0 ? [make(params.locals, cfg.localSize)] : [])];
  });
  const crops = [...(await toImages(globals)), ...(locals ? await toImages(locals) : [])];
  const kinds = crops.map((_, i): 'global' | 'local' => (i < params.globals.length ? 'global' : 'local'));
  return { crops, kinds, params: [...params.globals, ...params.locals] };
}
