/**
 * DINO's per-crop augmentations (official `DataAugmentationDINO`), batched on the device.
 *
 * Every crop gets its own random parameters, drawn on the CPU from the run's Rng (a few numbers
 * per crop; never full-size noise). The pixels are then transformed on the device in one batch,
 * in the official order:
 *   random resized crop + horizontal flip -> colour jitter (p) -> grayscale (p)
 *   -> Gaussian blur (p per crop kind) -> solarization (second global crop only) -> normalise.
 *
 * Resizing is PIL's bicubic (`augment.bicubic`, the default; see pilBicubicWeights), done as two
 * batched matMuls with per-crop weight matrices, or bilinear sampling (tf.image.cropAndResize, no
 * antialiasing; faster, aliased when shrinking; what runs made before the option used).
 *
 * Differences from the PIL pipeline of the official code, all small:
 * - after the resize (which rounds to uint8 like PIL) pixels stay float between operations (PIL
 *   rounds to uint8 after each one);
 * - the blur is an exact Gaussian truncated at 3 sigma, not PIL's three box blurs.
 *
 * Shapes: N crops, S crop side, [Hc, Wc] the letterbox canvas of image-store.ts. Values in 0..1.
 * Layouts: cropAndResize makes NHWC [N, S, S, 3]. The colour ops work on planes [3, N, S, S],
 * where a channel is one contiguous slice (slicing the last axis of NHWC is 10-100x slower on the
 * cpu and wasm backends). Blur, solarization and normalisation work on the ViT's NCHW [N, 3, S, S].
 */
import * as tf from '@tensorflow/tfjs';
import type { AugmentConfig } from '../shared/config';
import type { Rng } from '../shared/rng';
import { CANVAS_BORDER } from './image-store';
import { pilBicubicTaps } from './pil-resample';
import { HUE_SHIFT_KERNEL, wasmKernelsActive } from './kernels/wasm-kernels';

// ---- parameters, drawn on the CPU ------------------------------------------------------------

/** How crops are resized: PIL's bicubic (official) or bilinear sampling. */
export type CropResize = 'bicubic' | 'bilinear';

/** The resize a config asks for; configs from before the option (no field) used bilinear. */
export function cropResizeOf(cfg: Pick<AugmentConfig, 'bicubic'>): CropResize {
  return cfg.bicubic === true ? 'bicubic' : 'bilinear';
}

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

// ---- colour ops on planes [3, N, H, W], with one value per crop --------------------------------

/** Per-crop values as a [1, N, 1, 1] tensor that broadcasts over the planes of each crop. */
function perCropPlanar(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [1, values.length, 1, 1]);
}

/** Per-crop values as a [N, 1, 1, 1] tensor that broadcasts over an NCHW crop. */
function perCropNCHW(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

function checkPlanar(x: tf.Tensor4D, n: number, what: string): void {
  if (x.rank !== 4 || x.shape[0] !== 3) throw new Error(`${what}: expected planes [3, N, H, W], got [${x.shape}]`);
  if (x.shape[1] !== n) throw new Error(`${what}: ${n} per-crop values for ${x.shape[1]} crops`);
}

function checkNCHW(x: tf.Tensor4D, n: number, what: string): void {
  if (x.rank !== 4 || x.shape[1] !== 3) throw new Error(`${what}: expected crops [N, 3, H, W], got [${x.shape}]`);
  if (x.shape[0] !== n) throw new Error(`${what}: ${n} per-crop values for ${x.shape[0]} crops`);
}

/** [3, N, H, W] planes -> the three [1, N, H, W] channels. */
function channels(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D] {
  const [r, g, b] = tf.split(x, 3, 0) as tf.Tensor4D[];
  return [r, g, b];
}

/** ITU-R 601-2 luma (PIL convert('L')): planes [3, N, H, W] -> [1, N, H, W]. */
export function rgbToGray(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [r, g, b] = channels(x);
    return tf.addN([tf.mul(r, 0.299), tf.mul(g, 0.587), tf.mul(b, 0.114)]) as tf.Tensor4D;
  });
}

/**
 * The three linear jitter ops in one: clamp(a * x + b * gray(x) + c * mean(gray(x)), 0, 1) with
 * per-crop a, b, c. Brightness f is (f, 0, 0), saturation (f, 1 - f, 0), contrast (f, 0, 1 - f)
 * (torchvision's blends with black, the grayscale image and its mean); (1, 0, 0) is the identity.
 */
export function linearJitter(x: tf.Tensor4D, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>): tf.Tensor4D {
  checkPlanar(x, a.length, 'linearJitter');
  const anyB = Array.from(b).some((v) => v !== 0);
  const anyC = Array.from(c).some((v) => v !== 0);
  return tf.tidy(() => {
    const terms: tf.Tensor[] = [tf.mul(x, perCropPlanar(a))];
    if (anyB || anyC) {
      const gray = rgbToGray(x);
      if (anyB) terms.push(tf.mul(gray, perCropPlanar(b)));
      if (anyC) terms.push(tf.mul(tf.mean(gray, [2, 3], true), perCropPlanar(c))); // [1, N, 1, 1]
    }
    return tf.clipByValue(terms.reduce((s, t) => tf.add(s, t)), 0, 1) as tf.Tensor4D;
  });
}

const fill = (n: number, v: number): Float32Array => new Float32Array(n).fill(v);
const oneMinus = (f: ArrayLike<number>): Float32Array => Float32Array.from(f, (v) => 1 - v);

/** torchvision adjust_brightness: x * f, clamped. */
export function adjustBrightness(x: tf.Tensor4D, f: ArrayLike<number>): tf.Tensor4D {
  return linearJitter(x, f, fill(f.length, 0), fill(f.length, 0));
}

/** torchvision adjust_contrast: f * x + (1 - f) * mean(gray(x)) over the crop, clamped. */
export function adjustContrast(x: tf.Tensor4D, f: ArrayLike<number>): tf.Tensor4D {
  return linearJitter(x, f, fill(f.length, 0), oneMinus(f));
}

/** torchvision adjust_saturation: f * x + (1 - f) * gray(x), clamped. */
export function adjustSaturation(x: tf.Tensor4D, f: ArrayLike<number>): tf.Tensor4D {
  return linearJitter(x, f, oneMinus(f), fill(f.length, 0));
}

/**
 * Rotates the hue by `shifts` turns (torchvision adjust_hue: RGB -> HSV, h = (h + shift) mod 1,
 * HSV -> RGB). Value (max) and chroma (max - min) are kept, so HSV -> RGB needs no saturation:
 * channel n in {R: 5, G: 3, B: 1} = max - chroma * clamp(min(k, 4 - k), 0, 1) with
 * k = (n + 6 h) mod 6, the closed form of the six-sector formula.
 */
export function adjustHue(x: tf.Tensor4D, shifts: ArrayLike<number>): tf.Tensor4D {
  checkPlanar(x, shifts.length, 'adjustHue');
  if (wasmKernelsActive()) {
    // The same float32 operations in one pass (kernels.c hue_shift).
    return tf.tidy(() => {
      const shifts6 = tf.tensor1d(Float32Array.from(shifts, (s) => 6 * s));
      return tf.engine().runKernel(HUE_SHIFT_KERNEL, { x, shifts6 }) as tf.Tensor4D;
    });
  }
  return tf.tidy(() => {
    const [r, g, b] = channels(x);
    const maxc = tf.maximum(tf.maximum(r, g), b);
    const chroma = tf.sub(maxc, tf.minimum(tf.minimum(r, g), b));
    // Grey pixels have chroma 0 and any hue; the guard keeps 0 / 0 out of the graph.
    const inv = tf.div(1, tf.maximum(chroma, 1e-12));
    const [rc, gc, bc] = [r, g, b].map((v) => tf.mul(tf.sub(maxc, v), inv));
    // Hue in sextants (6 h, in [-1, 5]) as torchvision's _rgb2hsv picks it, plus the shift.
    const sextant = tf.where(
      tf.equal(maxc, r),
      tf.sub(bc, gc),
      tf.where(tf.equal(maxc, g), tf.add(tf.sub(rc, bc), 2), tf.add(tf.sub(gc, rc), 4)),
    );
    const h6 = tf.add(sextant, perCropPlanar(Float32Array.from(shifts, (s) => 6 * s)));
    const channel = (n: number): tf.Tensor => {
      const t = tf.add(h6, n);
      const k = tf.sub(t, tf.mul(tf.floor(tf.div(t, 6)), 6)); // t mod 6 (no FloorMod kernel on webgpu)
      return tf.sub(maxc, tf.mul(chroma, tf.clipByValue(tf.minimum(k, tf.sub(4, k)), 0, 1)));
    };
    return tf.concat([channel(5), channel(3), channel(1)], 0) as tf.Tensor4D;
  });
}

/** Where mask is 1: the luma replicated to 3 channels (torchvision RandomGrayscale); else unchanged. */
export function grayscaleWhere(x: tf.Tensor4D, mask: ArrayLike<number>): tf.Tensor4D {
  checkPlanar(x, mask.length, 'grayscaleWhere');
  return tf.tidy(() => {
    const m = perCropPlanar(mask);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(rgbToGray(x), m));
  });
}

const NEUTRAL = [1, 1, 1, 0]; // brightness, contrast, saturation factors; hue shift
const HUE = 3;

/**
 * Colour jitter with its own random op order per crop, on one fixed-shape batch (grouping crops
 * by order would make up to 24 batches whose sizes change every step, and the WebGPU buffer pool
 * keeps every size). At each of the four positions in the order, one linearJitter call applies
 * whichever of brightness/contrast/saturation each crop has there (identity for the others), and
 * adjustHue runs on the batch if any crop has hue there; each crop keeps its own op's result.
 * So hue may be evaluated up to four times per batch: the price of per-crop orders.
 * Returns a new tensor; the caller owns it.
 */
export function colorJitter(x: tf.Tensor4D, jitter: readonly (JitterParams | null)[]): tf.Tensor4D {
  checkPlanar(x, jitter.length, 'colorJitter');
  const n = jitter.length;
  return tf.tidy(() => {
    let cur = x;
    for (let slot = 0; slot < 4; slot++) {
      const a = fill(n, 1);
      const b = fill(n, 0);
      const c = fill(n, 0);
      const hueShift = fill(n, 0);
      const hueMask = fill(n, 0);
      let any = false;
      jitter.forEach((j, i) => {
        if (!j) return;
        const op = j.order[slot];
        const v = [j.brightness, j.contrast, j.saturation, j.hue][op];
        if (v === NEUTRAL[op]) return; // identity: nothing to do
        any = true;
        if (op === HUE) {
          hueShift[i] = v;
          hueMask[i] = 1;
        } else {
          a[i] = v;
          if (op === 1) c[i] = 1 - v;
          if (op === 2) b[i] = 1 - v;
        }
      });
      if (!any) continue;
      let next = a.some((v) => v !== 1) ? linearJitter(cur, a, b, c) : cur;
      if (hueMask.some((v) => v === 1)) {
        const m = perCropPlanar(hueMask);
        // Hue crops had the identity in linearJitter, so `next` still holds their input there.
        next = tf.add(tf.mul(next, tf.sub(1, m)), tf.mul(adjustHue(cur, hueShift), m));
      }
      cur = next;
    }
    return cur === x ? x.clone() : cur; // always a new tensor, even when no crop changed
  });
}

// ---- Gaussian blur and solarization on NCHW crops [N, 3, S, S] ---------------------------------

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
  const dist2 = new Float32Array(size * padded); // (i - (p - radius))^2 for output i, padded tap p
  const window = new Float32Array(size * padded); // 1 where |i - (p - radius)| <= radius
  const fold = new Float32Array(padded * size); // padded tap p -> the input pixel it reads
  for (let p = 0; p < padded; p++) {
    for (let i = 0; i < size; i++) {
      const d = i + radius - p;
      dist2[i * padded + p] = d * d;
      window[i * padded + p] = Math.abs(d) <= radius ? 1 : 0;
    }
    fold[p * size + Math.min(Math.max(p - radius, 0), size - 1)] = 1;
  }
  const blurred = Float32Array.from(sigmas, (s) => (s > 0 ? 1 : 0));
  // Unblurred crops use sigma 1 in the formula, then get the identity through the mask.
  const negInv2s2 = Float32Array.from(sigmas, (s) => (s > 0 ? -1 / (2 * s * s) : -0.5));
  return tf.tidy(() => {
    const exponent = tf.mul(tf.tensor3d(dist2, [1, size, padded]), tf.tensor3d(negInv2s2, [n, 1, 1]));
    const taps = tf.mul(tf.exp(exponent), tf.tensor3d(window, [1, size, padded]));
    const norm = tf.div(taps, tf.sum(taps, -1, true)); // [N, S, P]
    const gauss = tf.matMul(norm.reshape([n * size, padded]), tf.tensor2d(fold, [padded, size])).reshape([n, size, size]);
    const m = tf.tensor3d(blurred, [n, 1, 1]);
    return tf.add(tf.mul(gauss, m), tf.mul(tf.eye(size).expandDims(0), tf.sub(1, m))) as tf.Tensor3D;
  });
}

/**
 * Separable Gaussian blur with a sigma per crop (0 = unchanged) of NCHW crops [N, 3, S, S]: each
 * pass is one batched matMul of the crops' rows with the transposed blur operator. Forward only,
 * and only matMul/transpose, so it runs on every backend (no depthwise conv backprop needed).
 */
export function gaussianBlur(x: tf.Tensor4D, sigmas: ArrayLike<number>, radius: number): tf.Tensor4D {
  checkNCHW(x, sigmas.length, 'gaussianBlur');
  const [n, , h, w] = x.shape;
  if (h !== w) throw new Error(`gaussianBlur: expected square crops, got ${h}x${w}`);
  return tf.tidy(() => {
    const m = blurMatrices(sigmas, h, radius); // [N, S, S]
    const rows = tf.matMul(x.reshape([n, 3 * h, w]), m, false, true); // along each row
    const t = rows.reshape([n, 3, h, w]).transpose([0, 1, 3, 2]).reshape([n, 3 * w, h]);
    return tf.matMul(t, m, false, true).reshape([n, 3, w, h]).transpose([0, 1, 3, 2]) as tf.Tensor4D; // columns
  });
}

/** PIL ImageOps.solarize(threshold=128): x >= 128/255 -> 1 - x. */
export const SOLARIZE_THRESHOLD = 128 / 255;

/** Solarizes the NCHW crops where mask is 1. */
export function solarizeWhere(x: tf.Tensor4D, mask: ArrayLike<number>): tf.Tensor4D {
  checkNCHW(x, mask.length, 'solarizeWhere');
  return tf.tidy(() => {
    const m = perCropNCHW(mask);
    const solarized = tf.where(tf.greaterEqual(x, SOLARIZE_THRESHOLD), tf.sub(1, x), x);
    return tf.add(tf.mul(x, tf.sub(1, m)), tf.mul(solarized, m));
  });
}

// ---- the whole pipeline ------------------------------------------------------------------------

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
  const canvas: [number, number] = [images.shape[1], images.shape[2]];
  const boxes = new Float32Array(n * 4);
  params.forEach((p, i) => boxes.set(cropBox(p.rect, p.flip, size, canvas), i * 4));
  const mask = (f: (p: CropParams) => boolean): number[] => params.map((p) => (f(p) ? 1 : 0));
  return tf.tidy(() => {
    let planes =
      resize === 'bicubic'
        ? bicubicCrops(images, boxIndex, params, size)
        : (tf.image.cropAndResize(images, tf.tensor2d(boxes, [n, 4]), tf.tensor1d(boxIndex, 'int32'), [size, size]).transpose([3, 0, 1, 2]) as tf.Tensor4D); // [3, N, S, S]
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
