/**
 * The crop-and-resize step of the augmentation: each crop's rectangle of its letterboxed source
 * image resized to size x size, flipped where asked, as planes [3, N, S, S] in 0..1.
 *
 * - 'bicubic' (the official RandomResizedCrop on PIL images): PIL's antialiased bicubic, as two
 *   batched matMuls with per-crop weight matrices and PIL's uint8 rounding after each pass;
 * - 'bilinear': tf.image.cropAndResize sampling (no antialiasing; faster, aliased when shrinking;
 *   what runs made before the option used).
 *
 * Shapes: N crops, S crop side, [Hc, Wc] the letterbox canvas of image-store.ts, B source images.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../shared/config';
import type { CropParams, CropRect } from './augment-params';
import { CANVAS_BORDER } from './image-store';
import { pilBicubicTaps } from './pil-resample';

/** How crops are resized: PIL's bicubic (official) or bilinear sampling. */
export type CropResize = 'bicubic' | 'bilinear';

/** The resize a config asks for; configs from before the option (no field) used bilinear. */
export function cropResizeOf(cfg: Pick<AugmentConfig, 'bicubic'>): CropResize {
  return cfg.bicubic === true ? 'bicubic' : 'bilinear';
}

/**
 * The cropAndResize box [y1, x1, y2, x2] (normalised to the canvas) that resamples `rect` to
 * size x size like a resize with align_corners=False: output pixel k samples the image at
 * rect.left + (k + 0.5) * rect.width / size - 0.5. cropAndResize maps normalised x to pixel
 * x * (Wc - 1) and spaces samples evenly from x1 to x2, so x1/x2 are the first/last sample
 * positions. A flip swaps x1 and x2 (cropAndResize then samples right to left).
 */
function cropBox(rect: CropRect, flip: boolean, size: number, canvas: readonly [number, number]): number[] {
  const [ch, cw] = canvas;
  const first = (start: number, len: number): number => CANVAS_BORDER + start + (0.5 * len) / size - 0.5;
  const last = (start: number, len: number): number => CANVAS_BORDER + start + len - 0.5 - (0.5 * len) / size;
  const y1 = first(rect.top, rect.height) / (ch - 1);
  const y2 = last(rect.top, rect.height) / (ch - 1);
  const x1 = first(rect.left, rect.width) / (cw - 1);
  const x2 = last(rect.left, rect.width) / (cw - 1);
  return flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2];
}

/**
 * Weights that resize the span [start, start + len) of one canvas axis to `size` samples as PIL's
 * `Image.resize(..., BICUBIC)` does for the cropped image (what torchvision's RandomResizedCrop
 * runs on PIL images): output pixel k is centred at (k + 0.5) * len / size in the span; when
 * shrinking, the kernel is stretched by the scale (antialiasing); taps outside the span are dropped
 * and the rest renormalised. Row k (reversed when `flip`) goes to out[(k * canvasLen) + ...], with
 * the canvas's border offset applied. `out` must be zero where nothing is written.
 */
export function pilBicubicWeights(
  start: number,
  len: number,
  size: number,
  canvasLen: number,
  flip: boolean,
  out: Float32Array,
  offset = 0,
): void {
  const taps = pilBicubicTaps(len, size);
  for (let k = 0; k < size; k++) {
    const row = offset + (flip ? size - 1 - k : k) * canvasLen + CANVAS_BORDER + start + taps.first[k];
    for (let j = 0; j < taps.count[k]; j++) out[row + j] = taps.weights[k * taps.maxTaps + j];
  }
}

/** Values in 0..1 snapped to the uint8 grid as PIL stores them: clipped, rounded half up. */
function toUint8Grid(x: tf.Tensor): tf.Tensor {
  return tf.div(tf.floor(tf.add(tf.mul(tf.clipByValue(x, 0, 1), 255), 0.5)), 255);
}

/**
 * Crops resized exactly as PIL does it for 8-bit images: the horizontal pass, rounded and clipped
 * to uint8, then the vertical pass, rounded and clipped again (pilBicubicWeights gives each pass's
 * weights). The horizontal pass runs once per source image for all of its crops, as one batched
 * matMul, so source images are never copied per crop; the vertical pass is one batched matMul over
 * the crops. Returns planes [3, N, size, size] in 0..1. Caller owns the result.
 */
function bicubicCrops(images: tf.Tensor4D, boxIndex: Int32Array, params: readonly CropParams[], size: number): tf.Tensor4D {
  const n = params.length;
  const [rows, hc, wc] = images.shape;
  // Crops of each source row get slots 0, 1, ...; rows share the widest slot count.
  const slot = new Int32Array(n);
  const perRow = new Int32Array(rows);
  boxIndex.forEach((b, i) => (slot[i] = perRow[b]++));
  const slots = Math.max(1, ...perRow);
  const wx = new Float32Array(rows * slots * size * wc);
  const wy = new Float32Array(n * size * hc);
  const pick = new Int32Array(n);
  params.forEach((p, i) => {
    pick[i] = boxIndex[i] * slots + slot[i];
    pilBicubicWeights(p.rect.left, p.rect.width, size, wc, p.flip, wx, pick[i] * size * wc);
    pilBicubicWeights(p.rect.top, p.rect.height, size, hc, false, wy, i * size * hc);
  });
  return tf.tidy(() => {
    const planeRows = images.transpose([0, 1, 3, 2]).reshape([rows, hc * 3, wc]) as tf.Tensor3D; // [B, Hc * 3, Wc]
    const across = toUint8Grid(tf.matMul(planeRows, tf.tensor3d(wx, [rows, slots * size, wc]), false, true)); // [B, Hc * 3, slots * S]
    const perCrop = across.reshape([rows, hc, 3, slots, size]).transpose([0, 3, 1, 2, 4]).reshape([rows * slots, hc, 3 * size]);
    const picked = tf.gather(perCrop, tf.tensor1d(pick, 'int32')) as tf.Tensor3D; // [N, Hc, 3 * S]
    const down = tf.matMul(tf.tensor3d(wy, [n, size, hc]), picked); // [N, S, 3 * S]
    return toUint8Grid(down.reshape([n, size, 3, size]).transpose([2, 0, 1, 3])) as tf.Tensor4D;
  });
}

/**
 * The crops of `images` [B, Hc, Wc, 3] (crop i from row boxIndex[i] with params[i]'s rectangle and
 * flip) resized to size x size: planes [3, N, S, S] in 0..1. Caller owns the result.
 */
export function resizeCrops(
  images: tf.Tensor4D,
  boxIndex: Int32Array,
  params: readonly CropParams[],
  size: number,
  resize: CropResize,
): tf.Tensor4D {
  if (resize === 'bicubic') return bicubicCrops(images, boxIndex, params, size);
  const n = params.length;
  const canvas: [number, number] = [images.shape[1], images.shape[2]];
  const boxes = new Float32Array(n * 4);
  params.forEach((p, i) => boxes.set(cropBox(p.rect, p.flip, size, canvas), i * 4));
  return tf.tidy(
    () =>
      tf.image
        .cropAndResize(images, tf.tensor2d(boxes, [n, 4]), tf.tensor1d(boxIndex, 'int32'), [size, size]) // [N, S, S, 3]
        .transpose([3, 0, 1, 2]) as tf.Tensor4D, // [3, N, S, S]
  );
}
