/**
 * PIL's bicubic resampling (Pillow 9.4 `Image.resize(size, BICUBIC)`, what torchvision runs on PIL
 * images), written once: the filter taps of each output pixel, and the exact 8-bit resize.
 *
 * Output pixel k of a resize from `inSize` to `outSize` is centred at (k + 0.5) * scale in the
 * input (scale = inSize / outSize). When shrinking, the Keys kernel (a = -0.5) is stretched by the
 * scale, which antialiases; taps that fall outside the input are dropped and the rest renormalised.
 *
 * For 8-bit images PIL does not sum in floating point: each weight becomes a signed fixed-point
 * integer with 22 fractional bits (rounded away from zero), sums start at one half, and the result
 * is shifted back and clipped to 0..255. The horizontal pass runs first (to uint8), then the
 * vertical one. `resizeRgb8` follows that to the bit; augment.ts uses the float taps on the device.
 * No tfjs here: this runs in the worker, in Node, and anywhere else.
 */

/** The filter taps of every output pixel: output k reads input `first[k] + j` with `weights[k * maxTaps + j]`, j < count[k]. */
interface ResampleTaps {
  first: Int32Array;
  count: Int32Array;
  /** Normalised float weights, maxTaps per output pixel (unused slots are 0). */
  weights: Float64Array;
  maxTaps: number;
}

/** PIL's bicubic kernel (Keys, a = -0.5). */
function bicubicKernel(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

/** Pillow's `precompute_coeffs` for the bicubic filter (support 2) over the whole input span. */
export function pilBicubicTaps(inSize: number, outSize: number): ResampleTaps {
  if (!(inSize > 0 && outSize > 0)) throw new Error(`pilBicubicTaps: sizes must be positive, got ${inSize} -> ${outSize}`);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 2 * filterScale;
  const maxTaps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * maxTaps);
  for (let k = 0; k < outSize; k++) {
    const center = (k + 0.5) * scale;
    // C's (int) truncates; both bounds are clamped to the input, so floor gives the same.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let sum = 0;
    for (let x = lo; x < hi; x++) {
      const w = bicubicKernel((x - center + 0.5) / filterScale);
      weights[k * maxTaps + x - lo] = w;
      sum += w;
    }
    if (sum !== 0) for (let j = 0; j < hi - lo; j++) weights[k * maxTaps + j] /= sum;
    first[k] = lo;
    count[k] = hi - lo;
  }
  return { first, count, weights, maxTaps };
}

/** Fractional bits of Pillow's 8-bit resampling arithmetic (32 - 8 - 2). */
const PRECISION_BITS = 22;
const ONE = 2 ** PRECISION_BITS;

/** Pillow's `normalize_coeffs_8bpc`: weights as integers, rounded half away from zero. */
function fixedPointWeights(taps: ResampleTaps): Int32Array {
  return Int32Array.from(taps.weights, (w) => (w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE)));
}

/** Pillow's clip8 of a fixed-point sum that already holds the half-unit bias. */
function clip8(ss: number): number {
  if (ss <= 0) return 0;
  const v = Math.floor(ss / ONE);
  return v > 255 ? 255 : v;
}

/** One pass along an axis of interleaved RGB rows: `lines` lines of `inLen` pixels, `stride` apart. */
function resamplePass(
  src: Uint8Array,
  dst: Uint8Array,
  taps: ResampleTaps,
  kk: Int32Array,
  lines: number,
  outLen: number,
  // index of pixel i of line l, in pixels (times 3 for bytes), for source and destination
  srcAt: (l: number, i: number) => number,
  dstAt: (l: number, i: number) => number,
): void {
  for (let l = 0; l < lines; l++) {
    for (let k = 0; k < outLen; k++) {
      const lo = taps.first[k];
      const n = taps.count[k];
      const base = k * taps.maxTaps;
      let r = ONE / 2;
      let g = ONE / 2;
      let b = ONE / 2;
      for (let j = 0; j < n; j++) {
        const p = 3 * srcAt(l, lo + j);
        const w = kk[base + j];
        r += src[p] * w;
        g += src[p + 1] * w;
        b += src[p + 2] * w;
      }
      const q = 3 * dstAt(l, k);
      dst[q] = clip8(r);
      dst[q + 1] = clip8(g);
      dst[q + 2] = clip8(b);
    }
  }
}

/**
 * Resizes an 8-bit RGB image (HWC bytes) to outW x outH exactly as Pillow's BICUBIC does: the
 * horizontal pass (skipped when the width is unchanged), then the vertical one, each to uint8.
 */
export function resizeRgb8(pixels: Uint8Array, width: number, height: number, outW: number, outH: number): Uint8Array {
  if (pixels.length !== width * height * 3) {
    throw new Error(`resizeRgb8: expected ${width}x${height}x3 = ${width * height * 3} bytes, got ${pixels.length}`);
  }
  let cur = pixels;
  if (outW !== width) {
    const taps = pilBicubicTaps(width, outW);
    const next = new Uint8Array(outW * height * 3);
    resamplePass(cur, next, taps, fixedPointWeights(taps), height, outW, (l, i) => l * width + i, (l, k) => l * outW + k);
    cur = next;
  }
  if (outH !== height) {
    const taps = pilBicubicTaps(height, outH);
    const next = new Uint8Array(outW * outH * 3);
    resamplePass(cur, next, taps, fixedPointWeights(taps), outW, outH, (l, i) => i * outW + l, (l, k) => k * outW + l);
    cur = next;
  }
  return cur;
}
