/**
 * The DINO write-up's evaluation transform, as torchvision 0.14 runs it on a PIL image:
 *
 *   Resize(256, interpolation=3) -> CenterCrop(224) -> ToTensor() -> Normalize(mean, std)
 *
 * - Resize(s) scales the shorter side to s and the longer one to int(s * long / short) (truncated),
 *   with PIL's bicubic on 8-bit RGB (pil-resample.ts, bit-exact).
 * - CenterCrop(c) takes top = round((h - c) / 2), left likewise, with Python's round (halves to
 *   even); a side shorter than c is first padded with zeros, (c - h) // 2 before and the rest after.
 * - ToTensor divides by 255 and Normalize subtracts the mean and divides by the std, in float32.
 *
 * `resize` defaults to crop * 256 / 224 rounded, the write-up's ratio, so a resolution setting
 * other than 224 keeps the same framing. Pure TypeScript (no tfjs): the worker and Node share it.
 */
import { resizeRgb8 } from '../pil-resample';

export interface EvalTransform {
  /** Shorter side after Resize, px (256 for the write-up). */
  resize: number;
  /** CenterCrop side, px (224 for the write-up): the ViT's input size. */
  crop: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The write-up's Resize / CenterCrop ratio, applied to another crop size. */
export function resizeForCrop(crop: number): number {
  return Math.round((crop * 256) / 224);
}

/** A short stable string for cache keys: two transforms with the same key give the same tensor. */
export function transformKey(t: EvalTransform): string {
  return `pil-bicubic-${t.resize}/crop-${t.crop}/mean-${t.mean.join(',')}/std-${t.std.join(',')}`;
}

/** torchvision's Resize(size) output [height, width] for an int size (shorter side -> size). */
function resizedSize(width: number, height: number, size: number): [number, number] {
  if (width <= height) return [Math.trunc((size * height) / width), size];
  return [size, Math.trunc((size * width) / height)];
}

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The eval transform of one 8-bit RGB image (HWC bytes): CHW float32 [3, crop, crop] written to
 * `out` at `offset` (a fresh array when not given), normalised.
 */
export function evalTransform(
  pixels: Uint8Array,
  width: number,
  height: number,
  t: EvalTransform,
  out?: Float32Array,
  offset = 0,
): Float32Array {
  const c = t.crop;
  const dst = out ?? new Float32Array(3 * c * c);
  if (dst.length < offset + 3 * c * c) throw new Error(`evalTransform: output holds ${dst.length - offset} values, needs ${3 * c * c}`);
  const [h, w] = resizedSize(width, height, t.resize);
  const img = resizeRgb8(pixels, width, height, w, h);
  // CenterCrop: padding first where a side is shorter than the crop (torchvision pads, then crops).
  const padTop = h < c ? Math.floor((c - h) / 2) : 0;
  const padLeft = w < c ? Math.floor((c - w) / 2) : 0;
  const ph = Math.max(h, c);
  const pw = Math.max(w, c);
  const top = roundHalfEven((ph - c) / 2) - padTop;
  const left = roundHalfEven((pw - c) / 2) - padLeft;
  const f = Math.fround;
  for (let ch = 0; ch < 3; ch++) {
    const mean = f(t.mean[ch]);
    const std = f(t.std[ch]);
    const zero = f(f(0 - mean) / std);
    const plane = offset + ch * c * c;
    for (let y = 0; y < c; y++) {
      const sy = top + y;
      for (let x = 0; x < c; x++) {
        const sx = left + x;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        dst[plane + y * c + x] = inside ? f(f(f(img[3 * (sy * w + sx) + ch] / 255) - mean) / std) : zero;
      }
    }
  }
  return dst;
}
