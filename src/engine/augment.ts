/**
 * DINO's per-crop augmentations (official `DataAugmentationDINO`), batched on the device.
 *
 * Every crop gets its own random parameters, drawn on the CPU from the run's Rng (a few numbers
 * per crop; never full-size noise). The pixels are then transformed on the device in one batch,
 * in the official order:
 *   random resized crop + horizontal flip -> colour jitter (p) -> grayscale (p)
 *   -> Gaussian blur (p per crop kind) -> solarization (second global crop only) -> normalise.
 *
 * Differences from the PIL pipeline of the official code, all small:
 * - resizing is bilinear (tf.image.cropAndResize) without antialiasing, not PIL bicubic;
 * - pixels stay float between operations (PIL rounds to uint8 after each one);
 * - the blur is an exact Gaussian truncated at 3 sigma, not PIL's three box blurs.
 *
 * Shapes: N crops, S crop side, [Hc, Wc] the letterbox canvas of image-store.ts.
 * Augmentation works in NHWC ([N, S, S, 3], values in 0..1); `toModelInput` makes the
 * normalised NCHW tensor the ViT takes.
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../shared/config';
import type { Rng } from '../shared/rng';
import { CANVAS_BORDER } from './image-store';

// ---- parameters, drawn on the CPU ------------------------------------------------------------

/** Which crop of the multi-crop set: the blur probability and solarization depend on it. */
export type CropKind = 'global1' | 'global2' | 'local';

/** A crop rectangle in pixels of the image (torchvision's i, j, h, w). */
export interface CropRect {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** Colour jitter ops, numbered as in torchvision's ColorJitter (`fn_idx`). */
export const JITTER_OPS = ['brightness', 'contrast', 'saturation', 'hue'] as const;

export interface JitterParams {
  /** The four ops (indices into JITTER_OPS) in the order they are applied. */
  order: [number, number, number, number];
  /** Multiplicative factors (1 = unchanged) and the hue shift in turns (0 = unchanged). */
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

export interface CropParams {
  rect: CropRect;
  flip: boolean;
  /** null when colour jitter is not applied to this crop. */
  jitter: JitterParams | null;
  grayscale: boolean;
  /** Blur sigma in pixels of the output crop; 0 = no blur. */
  blurSigma: number;
  solarize: boolean;
}

/** Python's round(): halves go to the even neighbour (torchvision rounds crop sides with it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 tries of an area fraction uniform in `scale`
 * and an aspect ratio (width / height) log-uniform in `ratio`; if none fits the image, the central
 * crop with the aspect ratio clamped to `ratio`.
 */
export function sampleCropRect(
  rng: Rng,
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): CropRect {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) {
    h = roundHalfEven(w / ratio[0]);
  } else if (inRatio > ratio[1]) {
    w = roundHalfEven(h * ratio[1]);
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * Draws every random choice for one crop of an image whose valid region is height x width, in a
 * fixed order (crop, flip, jitter, grayscale, blur, solarize) so a seed fixes the whole crop.
 * Jitter factors follow torchvision ColorJitter: uniform in [max(0, 1 - s), 1 + s], hue in [-h, h];
 * an op with strength 0 is left out (it stays at its neutral value and draws nothing).
 */
export function drawCropParams(rng: Rng, kind: CropKind, height: number, width: number, cfg: AugmentConfig): CropParams {
  const rect = sampleCropRect(rng, height, width, kind === 'local' ? cfg.localScale : cfg.globalScale, cfg.ratio);
  const flip = rng.bernoulli(cfg.flipP);
  let jitter: JitterParams | null = null;
  if (rng.bernoulli(cfg.jitterP)) {
    const p = rng.permutation(4);
    const factor = (s: number): number => (s > 0 ? rng.uniform(Math.max(0, 1 - s), 1 + s) : 1);
    jitter = {
      order: [p[0], p[1], p[2], p[3]],
      brightness: factor(cfg.brightness),
      contrast: factor(cfg.contrast),
      saturation: factor(cfg.saturation),
      hue: cfg.hue > 0 ? rng.uniform(-cfg.hue, cfg.hue) : 0,
    };
  }
  const grayscale = rng.bernoulli(cfg.grayscaleP);
  const blurP = cfg.blurP[kind === 'global1' ? 0 : kind === 'global2' ? 1 : 2];
  const blurSigma = rng.bernoulli(blurP) ? rng.uniform(cfg.blurSigma[0], cfg.blurSigma[1]) : 0;
  const solarize = kind === 'global2' && rng.bernoulli(cfg.solarizeP);
  return { rect, flip, jitter, grayscale, blurSigma, solarize };
}

/** A crop with no augmentation beyond the crop itself (evaluation views). */
export function plainCrop(rect: CropRect): CropParams {
  return { rect, flip: false, jitter: null, grayscale: false, blurSigma: 0, solarize: false };
}

/**
 * The cropAndResize box [y1, x1, y2, x2] (normalised to the canvas) that resamples `rect` to
 * size x size like a resize with align_corners=False: output pixel k samples the image at
 * rect.left + (k + 0.5) * rect.width / size - 0.5. cropAndResize maps normalised x to pixel
 * x * (Wc - 1) and spaces samples evenly from x1 to x2, so x1/x2 are the first/last sample
 * positions. A flip swaps x1 and x2 (cropAndResize then samples right to left).
 */
export function cropBox(rect: CropRect, flip: boolean, size: number, canvas: readonly [number, number]): number[] {
  const [ch, cw] = canvas;
  const first = (start: number, len: number): number => CANVAS_BORDER + start + (0.5 * len) / size - 0.5;
  const last = (start: number, len: number): number => CANVAS_BORDER + start + len - 0.5 - (0.5 * len) / size;
  const y1 = first(rect.top, rect.height) / (ch - 1);
  const y2 = last(rect.top, rect.height) / (ch - 1);
  const x1 = first(rect.left, rect.width) / (cw - 1);
  const x2 = last(rect.left, rect.width) / (cw - 1);
  return flip ? [y1, x2, y2, x1] : [y1, x1, y2, x2];
}

// ---- colour ops on the device: x is [N, H, W, 3] in 0..1, factors one per crop ---------------

/** Per-crop values as a [N, 1, 1, 1] tensor that broadcasts over a crop's pixels. */
function perCrop(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

function checkCrops(x: tf.Tensor4D, n: number, what: string): void {
  if (x.rank !== 4 || x.shape[3] !== 3) throw new Error(`${what}: expected [N, H, W, 3] crops, got [${x.shape}]`);
  if (x.shape[0] !== n) throw new Error(`${what}: ${n} per-crop values for ${x.shape[0]} crops`);
}

const LUMA = [0.299, 0.587, 0.114];

/** ITU-R 601-2 luma (PIL convert('L')): [N, H, W, 3] -> [N, H, W, 1]. */
export function rgbToGray(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sum(tf.mul(x, tf.tensor1d(LUMA)), -1, true));
}

/** x * f, clamped (torchvision adjust_brightness). */
export function adjustBrightness(x: tf.Tensor4D, factors: ArrayLike<number>): tf.Tensor4D {
  checkCrops(x, factors.length, 'adjustBrightness');
  return tf.tidy(() => tf.clipByValue(tf.mul(x, perCrop(factors)), 0, 1) as tf.Tensor4D);
}

/** f * x + (1 - f) * mean(gray(x)) over the crop, clamped (torchvision adjust_contrast). */
export function adjustContrast(x: tf.Tensor4D, factors: ArrayLike<number>): tf.Tensor4D {
  checkCrops(x, factors.length, 'adjustContrast');
  return tf.tidy(() => {
    const f = perCrop(factors);
    const mean = tf.mean(rgbToGray(x), [1, 2, 3], true); // [N, 1, 1, 1]
    return tf.clipByValue(tf.add(tf.mul(x, f), tf.mul(mean, tf.sub(1, f))), 0, 1) as tf.Tensor4D;
  });
}

/** f * x + (1 - f) * gray(x), clamped (torchvision adjust_saturation). */
export function adjustSaturation(x: tf.Tensor4D, factors: ArrayLike<number>): tf.Tensor4D {
  checkCrops(x, factors.length, 'adjustSaturation');
  return tf.tidy(() => {
    const f = perCrop(factors);
    return tf.clipByValue(tf.add(tf.mul(x, f), tf.mul(rgbToGray(x), tf.sub(1, f))), 0, 1) as tf.Tensor4D;
  });
}

/**
 * Rotates the hue by `shifts` turns (torchvision adjust_hue: RGB -> HSV, h = (h + shift) mod 1,
 * HSV -> RGB). Value (max) and chroma (max - min) are kept, so HSV -> RGB needs no saturation:
 * channel n in {R: 5, G: 3, B: 1} = max - chroma * clamp(min(k, 4 - k), 0, 1) with
 * k = (n + 6 h) mod 6, the closed form of the six-sector formula.
 */
export function adjustHue(x: tf.Tensor4D, shifts: ArrayLike<number>): tf.Tensor4D {
  checkCrops(x, shifts.length, 'adjustHue');
  return tf.tidy(() => {
    const [r, g, b] = tf.split(x, 3, -1); // each [N, H, W, 1]
    const maxc = tf.maximum(tf.maximum(r, g), b);
    const chroma = tf.sub(maxc, tf.minimum(tf.minimum(r, g), b));
    // Grey pixels have chroma 0 and any hue; the guard keeps 0 / 0 out of the graph.
    const safe = tf.maximum(chroma, 1e-12);
    const rc = tf.div(tf.sub(maxc, r), safe);
    const gc = tf.div(tf.sub(maxc, g), safe);
    const bc = tf.div(tf.sub(maxc, b), safe);
    const isR = tf.cast(tf.equal(maxc, r), 'float32');
    const notR = tf.sub(1, isR);
    const isG = tf.mul(notR, tf.cast(tf.equal(maxc, g), 'float32'));
    const isB = tf.sub(notR, isG);
    // Hue in sextants (6 * h), in [-1, 5], then shifted.
    const h6 = tf.add(
      tf.addN([tf.mul(isR, tf.sub(bc, gc)), tf.mul(isG, tf.add(2, tf.sub(rc, bc))), tf.mul(isB, tf.add(4, tf.sub(gc, rc)))]),
      tf.mul(perCrop(shifts), 6),
    );
    const channel = (n: number): tf.Tensor => {
      const t = tf.add(h6, n);
      const k = tf.sub(t, tf.mul(tf.floor(tf.div(t, 6)), 6)); // t mod 6 (no FloorMod on webgpu)
      return tf.sub(maxc, tf.mul(chroma, tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1)));
    };
    return tf.concat([channel(5), channel(3), channel(1)], -1) as tf.Tensor4D;
  });
}

/** Grayscale where mask is 1 (luma replicated to 3 channels), unchanged where 0. */
export function grayscaleWhere(x: tf.Tensor4D, mask: ArrayLike<number>): tf.Tensor4D {
  checkCrops(x, mask.length, 'grayscaleWhere');
  return tf.tidy(() => {
    const m = perCrop(mask);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(rgbToGray(x), m));
  });
}

/** PIL ImageOps.solarize(threshold=128): x >= 128/255 -> 1 - x, where mask is 1. */
export const SOLARIZE_THRESHOLD = 128 / 255;

export function solarizeWhere(x: tf.Tensor4D, mask: ArrayLike<number>): tf.Tensor4D {
  checkCrops(x, mask.length, 'solarizeWhere');
  return tf.tidy(() => {
    const m = perCrop(mask);
    const solarized = tf.where(tf.greaterEqual(x, SOLARIZE_THRESHOLD), tf.sub(1, x), x);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(solarized, m));
  });
}

const JITTER_FNS = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
const NEUTRAL = [1, 1, 1, 0];

/**
 * Colour jitter with a random op order per crop. All crops are processed together: at each of
 * the four positions, every op whose turn it is for at least one crop runs on the whole batch, and
 * each crop keeps the result of its own op (one-hot weights; crops without jitter keep their
 * input). This costs up to four evaluations of each op instead of one, but keeps one fixed-shape
 * batch (grouping crops by order would make 24 batch shapes that change every step).
 */
export function colorJitter(x: tf.Tensor4D, jitter: readonly (JitterParams | null)[]): tf.Tensor4D {
  checkCrops(x, jitter.length, 'colorJitter');
  const n = jitter.length;
  const factors = NEUTRAL.map((v, op) =>
    Float32Array.from(jitter, (j) => (j ? [j.brightness, j.contrast, j.saturation, j.hue][op] : v)),
  );
  return tf.tidy(() => {
    let cur = x;
    for (let slot = 0; slot < 4; slot++) {
      const keep = new Float32Array(n).fill(1);
      const pick = NEUTRAL.map(() => new Float32Array(n));
      jitter.forEach((j, i) => {
        const op = j?.order[slot];
        // An op at its neutral value is the identity: keep the input instead of computing it.
        if (op !== undefined && factors[op][i] !== NEUTRAL[op]) {
          pick[op][i] = 1;
          keep[i] = 0;
        }
      });
      if (keep.every((k) => k === 1)) continue;
      const terms: tf.Tensor[] = [tf.mul(cur, perCrop(keep))];
      pick.forEach((w, op) => {
        if (w.some((v) => v === 1)) terms.push(tf.mul(JITTER_FNS[op](cur, factors[op]), perCrop(w)));
      });
      cur = tf.addN(terms) as tf.Tensor4D;
    }
    return cur;
  });
}

// ---- Gaussian blur as two batched matMuls ------------------------------------------------------

/** Kernel half-width for blurs up to `maxSigma`: fixed per config so shapes stay static. */
export function blurRadius(maxSigma: number): number {
  return Math.max(1, Math.ceil(3 * maxSigma));
}

/**
 * Per-crop 1-D blur operators [N, S, S]: row i holds the weights of output pixel i. Gaussian taps
 * exp(-d^2 / 2 sigma^2) for |d| <= radius, normalised to sum 1, with the taps that fall outside
 * the crop folded onto its edge pixel (edge padding, as PIL's blur does). Crops with sigma 0 get
 * the identity. Built on the device from the N sigmas.
 */
export function blurMatrices(sigmas: ArrayLike<number>, size: number, radius: number): tf.Tensor3D {
  const n = sigmas.length;
  const padded = size + 2 * radius;
  const dist2 = new Float32Array(size * padded); // (i - (p - radius))^2, output i, padded tap p
  const fold = new Float32Array(padded * size); // padded tap p -> clamped input pixel
  for (let p = 0; p < padded; p++) {
    for (let i = 0; i < size; i++) dist2[i * padded + p] = (i + radius - p) ** 2;
    fold[p * size + Math.min(Math.max(p - radius, 0), size - 1)] = 1;
  }
  const blurred = Float32Array.from(sigmas, (s) => (s > 0 ? 1 : 0));
  // Unblurred crops get sigma 1 in the formula and then the identity through the mask.
  const inv2s2 = Float32Array.from(sigmas, (s) => (s > 0 ? 1 / (2 * s * s) : 0.5));
  return tf.tidy(() => {
    const taps = tf.exp(tf.mul(tf.tensor3d(dist2, [1, size, padded]), tf.tensor3d(inv2s2, [n, 1, 1]).neg()));
    const norm = tf.div(taps, tf.sum(taps, -1, true)); // [N, S, P]
    const gauss = tf.matMul(norm.reshape([n * size, padded]), tf.tensor2d(fold, [padded, size])).reshape([n, size, size]);
    const m = tf.tensor3d(blurred, [n, 1, 1]);
    return tf.add(tf.mul(gauss, m), tf.mul(tf.eye(size).expandDims(0), tf.sub(1, m))) as tf.Tensor3D;
  });
}

/**
 * Separable Gaussian blur with a sigma per crop (0 = unchanged): x [N, S, S, 3] is blurred down
 * the columns and then along the rows, each pass one batched matMul with `blurMatrices`. Forward
 * only, and only matMul/transpose, so it runs on every backend.
 */
export function gaussianBlur(x: tf.Tensor4D, sigmas: ArrayLike<number>, radius: number): tf.Tensor4D {
  checkCrops(x, sigmas.length, 'gaussianBlur');
  const [n, h, w] = x.shape;
  if (h !== w) throw new Error(`gaussianBlur: expected square crops, got ${h}x${w}`);
  return tf.tidy(() => {
    const m = blurMatrices(sigmas, h, radius); // [N, S, S]
    const cols = tf.matMul(m, x.reshape([n, h, w * 3])).reshape([n, h, w, 3]);
    const t = cols.transpose([0, 2, 1, 3]).reshape([n, w, h * 3]); // rows become columns
    return tf.matMul(m, t).reshape([n, w, h, 3]).transpose([0, 2, 1, 3]) as tf.Tensor4D;
  });
}

// ---- the whole pipeline ------------------------------------------------------------------------

/**
 * Crops, resizes and augments N crops from a batch of letterboxed images: images [B, Hc, Wc, 3],
 * crop i is taken from row boxIndex[i] with params[i]. Returns [N, size, size, 3] in 0..1 (not
 * normalised); the caller owns it. `maxSigma` fixes the blur kernel width (the config's upper
 * sigma), so the shapes do not depend on the draws.
 */
export function augmentPixels(
  images: tf.Tensor4D,
  boxIndex: Int32Array,
  params: readonly CropParams[],
  size: number,
  maxSigma: number,
): tf.Tensor4D {
  const n = params.length;
  if (images.rank !== 4 || images.shape[3] !== 3) {
    throw new Error(`augmentPixels: expected images [B, Hc, Wc, 3], got [${images.shape}]`);
  }
  if (boxIndex.length !== n) throw new Error(`augmentPixels: ${boxIndex.length} box indices for ${n} crops`);
  const rows = images.shape[0];
  for (const b of boxIndex) {
    // tfjs-backend-webgpu 4.22 skips (leaves garbage in) crops whose box index is >= the number of
    // boxes, so an index must be below both the image count and the crop count.
    if (!(b >= 0 && b < rows && b < n)) {
      throw new Error(`augmentPixels: box index ${b} must be < ${rows} images and < ${n} crops`);
    }
  }
  const canvas: [number, number] = [images.shape[1], images.shape[2]];
  const boxes = new Float32Array(n * 4);
  params.forEach((p, i) => boxes.set(cropBox(p.rect, p.flip, size, canvas), i * 4));
  return tf.tidy(() => {
    let x = tf.image.cropAndResize(images, tf.tensor2d(boxes, [n, 4]), tf.tensor1d(boxIndex, 'int32'), [size, size]);
    if (params.some((p) => p.jitter)) x = colorJitter(x, params.map((p) => p.jitter));
    if (params.some((p) => p.grayscale)) x = grayscaleWhere(x, params.map((p) => (p.grayscale ? 1 : 0)));
    if (params.some((p) => p.blurSigma > 0)) {
      x = gaussianBlur(x, params.map((p) => p.blurSigma), blurRadius(maxSigma));
    }
    if (params.some((p) => p.solarize)) x = solarizeWhere(x, params.map((p) => (p.solarize ? 1 : 0)));
    return x;
  });
}

/** [N, S, S, 3] in 0..1 -> normalised NCHW [N, 3, S, S] (ToTensor + Normalize). Caller owns it. */
export function toModelInput(
  x: tf.Tensor4D,
  mean: readonly [number, number, number],
  std: readonly [number, number, number],
): tf.Tensor4D {
  return tf.tidy(() =>
    tf.div(tf.sub(x.transpose([0, 3, 1, 2]), tf.tensor4d([...mean], [1, 3, 1, 1])), tf.tensor4d([...std], [1, 3, 1, 1])),
  );
}
