/**
 * The colour augmentations of DINO, batched with one value per crop: torchvision's ColorJitter
 * (brightness, contrast, saturation, hue, each crop with its own random op order) and
 * RandomGrayscale. They work on planes [3, N, H, W], where a channel is one contiguous slice
 * (slicing the last axis of NHWC is 10-100x slower on the cpu and wasm backends). Values in 0..1.
 */
import * as tf from '@tensorflow/tfjs';
import type { JitterParams } from './augment-params';
import { HUE_SHIFT_KERNEL, wasmKernelsActive } from './kernels/wasm-kernels';

/** Per-crop values as a [1, N, 1, 1] tensor that broadcasts over the planes of each crop. */
function perCropPlanar(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [1, values.length, 1, 1]);
}

function checkPlanar(x: tf.Tensor4D, n: number, what: string): void {
  if (x.rank !== 4 || x.shape[0] !== 3) throw new Error(`${what}: expected planes [3, N, H, W], got [${x.shape}]`);
  if (x.shape[1] !== n) throw new Error(`${what}: ${n} per-crop values for ${x.shape[1]} crops`);
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
function linearJitter(x: tf.Tensor4D, a: ArrayLike<number>, b: ArrayLike<number>, c: ArrayLike<number>): tf.Tensor4D {
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
