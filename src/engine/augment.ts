/**
 * DINO's per-crop augmentations (official `DataAugmentationDINO`), batched on the device.
 *
 * Every crop gets its own random parameters, drawn on the CPU from the run's Rng
 * (augment-params.ts). The pixels are then transformed on the device in one batch, in the
 * official order:
 *   random resized crop + horizontal flip -> colour jitter (p) -> grayscale (p)
 *   -> Gaussian blur (p per crop kind) -> solarization (second global crop only) -> normalise.
 *
 * One file per step: augment-resize.ts (crop, flip, PIL bicubic or bilinear resize),
 * augment-color.ts (jitter, grayscale), augment-blur-solarize.ts; this file chains them.
 *
 * Differences from the PIL pipeline of the official code, all small:
 * - after the resize (which rounds to uint8 like PIL) pixels stay float between operations (PIL
 *   rounds to uint8 after each one);
 * - the blur is an exact Gaussian truncated at 3 sigma, not PIL's three box blurs.
 *
 * Shapes: N crops, S crop side, [Hc, Wc] the letterbox canvas of image-store.ts. Values in 0..1.
 * Layouts: the resize gives planes [3, N, S, S], the colour ops' layout (one contiguous slice per
 * channel); blur, solarization and normalisation work on the ViT's NCHW [N, 3, S, S].
 */
import * as tf from '@tensorflow/tfjs';
import { blurRadius, gaussianBlur, solarizeWhere } from './augment-blur-solarize';
import { colorJitter, grayscaleWhere } from './augment-color';
import type { CropParams } from './augment-params';
import { resizeCrops, type CropResize } from './augment-resize';

// What the pipeline's users take from here (multi-crop.ts, the e2e harness).
export { drawCropParams, plainCrop, type CropParams } from './augment-params';
export { cropResizeOf } from './augment-resize';

/**
 * Crops, resizes and augments N crops from a batch of letterboxed images: images [B, Hc, Wc, 3],
 * crop i is taken from row boxIndex[i] with params[i]. Returns NCHW [N, 3, size, size] in 0..1,
 * not yet normalised; the caller owns it. `maxSigma` (the config's upper blur sigma) fixes the
 * blur kernel width, so the shapes do not depend on the draws.
 */
export function augmentCrops(
  images: tf.Tensor4D,
  boxIndex: Int32Array,
  params: readonly CropParams[],
  size: number,
  maxSigma: number,
  resize: CropResize = 'bilinear',
): tf.Tensor4D {
  const n = params.length;
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new Error(`augmentCrops: expected images [B, Hc, Wc, 3], got [${images.shape}]`);
  }
  if (boxIndex.length !== n) throw new Error(`augmentCrops: ${boxIndex.length} box indices for ${n} crops`);
  const rows = images.shape[0];
  for (const b of boxIndex) {
    // tfjs-backend-webgpu 4.22 skips (leaves garbage in) crops whose box index is >= the number
    // of boxes, so an index must be below both the image count and the crop count.
    if (!(b >= 0 && b < rows && b < n)) {
      throw new Error(`augmentCrops: box index ${b} must be < ${rows} images and < ${n} crops`);
    }
  }
  const mask = (f: (p: CropParams) => boolean): number[] => params.map((p) => (f(p) ? 1 : 0));
  return tf.tidy(() => {
    let planes = resizeCrops(images, boxIndex, params, size, resize); // [3, N, S, S]
    if (params.some((p) => p.jitter)) planes = colorJitter(planes, params.map((p) => p.jitter));
    if (params.some((p) => p.grayscale)) planes = grayscaleWhere(planes, mask((p) => p.grayscale));
    let x = planes.transpose([1, 0, 2, 3]) as tf.Tensor4D; // [N, 3, S, S]
    if (params.some((p) => p.blurSigma > 0)) {
      x = gaussianBlur(x, params.map((p) => p.blurSigma), blurRadius(maxSigma));
    }
    if (params.some((p) => p.solarize)) x = solarizeWhere(x, mask((p) => p.solarize));
    return x;
  });
}

/** Normalize(mean, std) of NCHW crops [N, 3, S, S] in 0..1. Caller owns the result. */
export function normalize(
  x: tf.Tensor4D,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): tf.Tensor4D {
  return tf.tidy(() => tf.div(tf.sub(x, tf.tensor4d([...mean], [1, 3, 1, 1])), tf.tensor4d([...std], [1, 3, 1, 1])));
}
