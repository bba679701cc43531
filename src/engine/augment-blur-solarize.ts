/**
 * DINO's GaussianBlur and Solarization, batched on NCHW crops [N, 3, S, S] with one value per
 * crop (a sigma, a mask). The blur is an exact Gaussian truncated at 3 sigma with edge padding,
 * not PIL's three box blurs; solarization is PIL's ImageOps.solarize at 128.
 */
import * as tf from '@tensorflow/tfjs';

/** Per-crop values as a [N, 1, 1, 1] tensor that broadcasts over an NCHW crop. */
function perCropNCHW(values: ArrayLike<number>): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from(values), [values.length, 1, 1, 1]);
}

function checkNCHW(x: tf.Tensor4D, n: number, what: string): void {
  if (x.rank !== 4 || x.shape[1] !== 3) throw new Error(`${what}: expected crops [N, 3, H, W], got [${x.shape}]`);
  if (x.shape[0] !== n) throw new Error(`${what}: ${n} per-crop values for ${x.shape[0]} crops`);
}

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
