import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultAugment, type AugmentConfig } from '../shared/config';
import type { ImagePixels } from '../shared/protocol';
import { Rng } from '../shared/rng';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  augmentCrops,
  blurMatrices,
  colorJitter,
  drawCropParams,
  gaussianBlur,
  grayscaleWhere,
  normalize,
  pilBicubicWeights,
  plainCrop,
  rgbToGray,
  sampleCropRect,
  solarizeWhere,
  SOLARIZE_THRESHOLD,
  type CropKind,
  type CropParams,
  type CropRect,
  type JitterParams,
} from './augment';
import { ImageStore, singleImageSource } from './image-store';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (tol ${tol})`);
    }
  }
}

/** Crops given as lists of RGB pixels (one row each) -> planes [3, N, 1, W]. */
function planes(crops: number[][][]): tf.Tensor4D {
  const n = crops.length;
  const w = crops[0].length;
  const data = new Float32Array(3 * n * w);
  crops.forEach((px, i) => px.forEach((rgb, x) => rgb.forEach((v, c) => (data[(c * n + i) * w + x] = v))));
  return tf.tensor4d(data, [3, n, 1, w]);
}

/** Planes [3, N, 1, W] -> lists of RGB pixels, the inverse of `planes`. */
function pixelsOf(x: tf.Tensor4D): number[][][] {
  const [, n, , w] = x.shape;
  const d = x.dataSync();
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: w }, (_, px) => [0, 1, 2].map((c) => d[(c * n + i) * w + px])),
  );
}

function expectPixels(x: tf.Tensor4D, expected: number[][][], tol = 1e-5): void {
  expectClose(pixelsOf(x).flat(2), expected.flat(2), tol);
  x.dispose();
}

/** Binomial check: |count - n p| within 4.5 standard deviations (a false alarm about 1 in 150,000). */
function expectFrequency(count: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(4.5 * sd + 1e-9);
}

// Two test pixels used by the hand computations below.
const P0 = [0.2, 0.4, 0.6];
const P1 = [0.8, 0.4, 0.2];
const GRAY0 = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6; // 0.3630
const GRAY1 = 0.299 * 0.8 + 0.587 * 0.4 + 0.114 * 0.2; // 0.4968

describe('random resized crop parameters (torchvision get_params)', () => {
  function stats(h: number, w: number, scale: [number, number], ratio: [number, number], n = 2000) {
    const rng = new Rng(11);
    const rects: CropRect[] = [];
    for (let i = 0; i < n; i++) rects.push(sampleCropRect(rng, h, w, scale, ratio));
    for (const r of rects) {
      // Exact consequences of rounding the sides of a box with area and ratio inside the ranges.
      expect(r.width * r.height).toBeGreaterThan(0);
      expect((r.width + 0.5) * (r.height + 0.5)).toBeGreaterThanOrEqual(scale[0] * h * w);
      expect((r.width - 0.5) * (r.height - 0.5)).toBeLessThanOrEqual(scale[1] * h * w);
      expect((r.width + 0.5) / (r.height - 0.5)).toBeGreaterThanOrEqual(ratio[0]);
      expect((r.width - 0.5) / (r.height + 0.5)).toBeLessThanOrEqual(ratio[1]);
      expect(r.top).toBeGreaterThanOrEqual(0);
      expect(r.left).toBeGreaterThanOrEqual(0);
      expect(r.top + r.height).toBeLessThanOrEqual(h);
      expect(r.left + r.width).toBeLessThanOrEqual(w);
    }
    const mean = (f: (r: CropRect) => number): number => rects.reduce((s, r) => s + f(r), 0) / n;
    return { rects, mean };
  }

  it('draws local crops with area uniform in scale and log-uniform aspect', () => {
    const { mean } = stats(120, 160, [0.05, 0.4], [3 / 4, 4 / 3]);
    // Uniform area fraction: mean 0.225, sd 0.101, so the mean of 2000 has sd 0.0023.
    expect(mean((r) => (r.width * r.height) / (120 * 160))).toBeCloseTo(0.225, 2);
    // Symmetric log range: mean log aspect 0 (sd 0.0037 for 2000 draws).
    expect(Math.abs(mean((r) => Math.log(r.width / r.height)))).toBeLessThan(0.015);
  });

  it('uses width / height as the aspect ratio (an asymmetric range shows the direction)', () => {
    const { mean } = stats(200, 200, [0.1, 0.2], [1, 2]);
    // log-uniform on [0, ln 2]: mean ln 2 / 2 = 0.347 (sd of the mean ~0.0045).
    expect(mean((r) => Math.log(r.width / r.height))).toBeCloseTo(Math.log(2) / 2, 1);
    expect(mean((r) => (r.width / r.height > 1 ? 1 : 0))).toBeGreaterThan(0.95);
  });

  it('spreads crop positions over the whole image', () => {
    const { rects } = stats(64, 64, [0.05, 0.1], [3 / 4, 4 / 3]);
    expect(Math.min(...rects.map((r) => r.top))).toBe(0);
    expect(Math.max(...rects.map((r) => r.top + r.height))).toBe(64);
    expect(Math.max(...rects.map((r) => r.left + r.width))).toBe(64);
  });

  it('draws global crops within range on small images (Fashion-MNIST 28 x 28)', () => {
    const { mean } = stats(28, 28, [0.4, 1], [3 / 4, 4 / 3]);
    expect(mean((r) => (r.width * r.height) / 784)).toBeGreaterThan(0.6);
  });

  it('falls back to the central crop with the ratio clamped', () => {
    const rng = new Rng(3);
    // Wide image: every try needs an aspect > 4.5, outside [3/4, 4/3].
    expect(sampleCropRect(rng, 20, 100, [0.9, 1], [3 / 4, 4 / 3])).toEqual({ top: 0, left: 36, height: 20, width: 27 });
    // Tall image: h = round(10 / 0.75) = 13 (Python rounding), centred.
    expect(sampleCropRect(rng, 60, 10, [0.9, 1], [3 / 4, 4 / 3])).toEqual({ top: 23, left: 0, height: 13, width: 10 });
    // In-range aspect ratio but area too large to ever fit: the whole image.
    expect(sampleCropRect(rng, 10, 10, [1.5, 2], [1, 1])).toEqual({ top: 0, left: 0, height: 10, width: 10 });
  });
});

describe('per-crop random choices', () => {
  const n = 3000;
  const draw = (kind: CropKind, cfg: AugmentConfig = defaultAugment): CropParams[] => {
    const rng = new Rng(kind.length * 7 + 1);
    return Array.from({ length: n }, () => drawCropParams(rng, kind, 48, 64, cfg));
  };
  const count = (ps: CropParams[], f: (p: CropParams) => boolean): number => ps.filter(f).length;

  it('applies flip, jitter and grayscale with their probabilities', () => {
    for (const kind of ['global1', 'global2', 'local'] as const) {
      const ps = draw(kind);
      expectFrequency(count(ps, (p) => p.flip), n, defaultAugment.flipP);
      expectFrequency(count(ps, (p) => p.jitter !== null), n, defaultAugment.jitterP);
      expectFrequency(count(ps, (p) => p.grayscale), n, defaultAugment.grayscaleP);
    }
  });

  it('blurs with the per-kind probability and solarizes only the second global crop', () => {
    const [g1, g2, loc] = (['global1', 'global2', 'local'] as const).map((k) => draw(k));
    expect(count(g1, (p) => p.blurSigma > 0)).toBe(n); // p = 1.0
    expectFrequency(count(g2, (p) => p.blurSigma > 0), n, 0.1);
    expectFrequency(count(loc, (p) => p.blurSigma > 0), n, 0.5);
    expectFrequency(count(g2, (p) => p.solarize), n, 0.2);
    expect(count(g1, (p) => p.solarize) + count(loc, (p) => p.solarize)).toBe(0);
    const sigmas = [...g1, ...g2, ...loc].filter((p) => p.blurSigma > 0).map((p) => p.blurSigma);
    expect(Math.min(...sigmas)).toBeGreaterThanOrEqual(0.1);
    expect(Math.max(...sigmas)).toBeLessThan(2);
    expect(sigmas.reduce((a, b) => a + b, 0) / sigmas.length).toBeCloseTo(1.05, 1);
  });

  it('draws jitter factors in torchvision ranges and every op order', () => {
    const js = draw('local').flatMap((p) => (p.jitter ? [p.jitter] : []));
    const range = (f: (j: JitterParams) => number): [number, number] => [Math.min(...js.map(f)), Math.max(...js.map(f))];
    const [bLo, bHi] = range((j) => j.brightness);
    expect(bLo).toBeGreaterThanOrEqual(0.6);
    expect(bLo).toBeLessThan(0.62);
    expect(bHi).toBeLessThan(1.4);
    expect(bHi).toBeGreaterThan(1.38);
    const [sLo, sHi] = range((j) => j.saturation);
    expect(sLo).toBeGreaterThanOrEqual(0.8);
    expect(sHi).toBeLessThan(1.2);
    const [hLo, hHi] = range((j) => j.hue);
    expect(hLo).toBeGreaterThanOrEqual(-0.1);
    expect(hLo).toBeLessThan(-0.095);
    expect(hHi).toBeLessThan(0.1);
    expect(hHi).toBeGreaterThan(0.095);
    const orders = new Set(js.map((j) => j.order.join('')));
    expect(orders.size).toBe(24);
    for (const o of orders) expect([...o].sort().join('')).toBe('0123');
  });

  it('leaves out ops with strength 0 (factor 1, hue 0)', () => {
    const cfg = { ...defaultAugment, jitterP: 1, contrast: 0, hue: 0 };
    for (const p of draw('local', cfg)) {
      expect(p.jitter!.contrast).toBe(1);
      expect(p.jitter!.hue).toBe(0);
    }
  });
});

describe('colour ops against hand-computed pixels', () => {
  it('grayscale uses ITU-R 601-2 luma', () => {
    const x = planes([[P0, P1]]);
    const g = rgbToGray(x);
    expect(g.shape).toEqual([1, 1, 1, 2]);
    expectClose(g.dataSync(), [GRAY0, GRAY1], 1e-6);
    tf.dispose([x, g]);
  });

  it('brightness multiplies and clamps, per crop', () => {
    expectPixels(adjustBrightness(planes([[P0, P1], [P0, P1]]), [1.5, 0.5]), [
      [
        [0.3, 0.6, 0.9],
        [1, 0.6, 0.3],
      ],
      [
        [0.1, 0.2, 0.3],
        [0.4, 0.2, 0.1],
      ],
    ]);
  });

  it('contrast blends with the mean gray of the crop', () => {
    const m = (GRAY0 + GRAY1) / 2; // 0.4299
    expectPixels(adjustContrast(planes([[P0, P1], [P0, P1]]), [0.5, 2]), [
      [P0.map((v) => 0.5 * v + 0.5 * m), P1.map((v) => 0.5 * v + 0.5 * m)],
      [
        [0, 0.8 - m, 1.2 - m],
        [1, 0.8 - m, 0],
      ],
    ]);
    // by hand: crop 2 pixel 0 is (2*0.2 - 0.4299 -> clamp 0, 0.3701, 0.7701)
    expect(0.8 - m).toBeCloseTo(0.3701, 4);
  });

  it('saturation blends with the pixel gray', () => {
    expectPixels(adjustSaturation(planes([[P0, P1], [P0, P1]]), [0, 1.5]), [
      [
        [GRAY0, GRAY0, GRAY0],
        [GRAY1, GRAY1, GRAY1],
      ],
      [
        [0.1185, 0.4185, 0.7185],
        [0.9516, 0.3516, 0.0516],
      ],
    ]);
  });

  it('hue rotates in HSV space', () => {
    // (0.8, 0.4, 0.2): v 0.8, s 0.75, h 1/18. +0.1 -> h6 0.933, sector 0: (v, t, p) = (0.8, 0.76, 0.2).
    // (0.2, 0.4, 0.6): v 0.6, s 2/3, h 3.5/6. +0.1 -> h6 4.1, sector 4: (t, p, v) = (0.24, 0.2, 0.6).
    // -0.1 on (0.8, 0.4, 0.2): h6 5.733, sector 5: (v, p, q) = (0.8, 0.2, 0.36).
    // Red +1/3 -> green; red +0.5 -> cyan; a gray pixel has no hue and stays as it is.
    const x = planes([
      [P1, P0],
      [P1, [1, 0, 0]],
      [[1, 0, 0], [0.5, 0.5, 0.5]],
    ]);
    expectPixels(adjustHue(x, [0.1, -0.1, 0.5]), [
      [
        [0.8, 0.76, 0.2],
        [0.24, 0.2, 0.6],
      ],
      [
        [0.8, 0.2, 0.36],
        [1, 0, 0.6],
      ],
      [
        [0, 1, 1],
        [0.5, 0.5, 0.5],
      ],
    ]);
    x.dispose();
    expectPixels(adjustHue(planes([[[1, 0, 0]]]), [1 / 3]), [[[0, 1, 0]]]);
  });

  it('random grayscale replaces the masked crops by their luma', () => {
    expectPixels(grayscaleWhere(planes([[P0], [P1]]), [1, 0]), [[[GRAY0, GRAY0, GRAY0]], [P1]]);
  });

  it('solarization inverts pixels >= 128/255 of the masked crops (NCHW)', () => {
    const vals = [0.2, 0.5, SOLARIZE_THRESHOLD, 0.7, 127 / 255, 1];
    const x = tf.tensor4d([...vals, ...vals], [2, 3, 1, 2]);
    const y = solarizeWhere(x, [1, 0]);
    expectClose(y.dataSync(), [0.2, 0.5, 127 / 255, 0.3, 127 / 255, 0, ...vals], 1e-6);
    tf.dispose([x, y]);
  });

  it('normalises per channel', () => {
    const x = tf.tensor4d([0.485, 1, 0], [1, 3, 1, 1]);
    const y = normalize(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    expectClose(y.dataSync(), [0, (1 - 0.456) / 0.224, -0.406 / 0.225]);
    tf.dispose([x, y]);
  });
});

describe('colour jitter with a random order per crop', () => {
  const ops = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
  const jit = (order: number[], b = 1.3, c = 0.7, s = 1.4, h = 0.08): JitterParams => ({
    order: order as [number, number, number, number],
    brightness: b,
    contrast: c,
    saturation: s,
    hue: h,
  });
  const crop = [P0, P1, [0.9, 0.1, 0.5], [0.3, 0.3, 0.3]];

  /** One crop through the ops one at a time, in its own order. */
  function sequential(j: JitterParams): number[][] {
    let x = planes([crop]);
    for (const op of j.order) {
      const next = ops[op](x, [[j.brightness, j.contrast, j.saturation, j.hue][op]]);
      x.dispose();
      x = next;
    }
    const out = pixelsOf(x)[0];
    x.dispose();
    return out;
  }

  it('applies each crop its own order, in one batch', () => {
    const js = [jit([0, 1, 2, 3]), jit([3, 2, 1, 0]), null, jit([2, 3, 0, 1], 0.8, 1.2, 0.9, -0.05), jit([1, 0, 3, 2])];
    const y = colorJitter(planes(js.map(() => crop)), js);
    const got = pixelsOf(y);
    y.dispose();
    js.forEach((j, i) => expectClose(got[i].flat(), (j ? sequential(j) : crop).flat(), 2e-6));
    // The order matters for these factors, so the check above can tell orders apart.
    const a = sequential(jit([0, 1, 2, 3])).flat();
    const b = sequential(jit([3, 2, 1, 0])).flat();
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeGreaterThan(0.01);
  });
});

describe('Gaussian blur as batched matMul', () => {
  const w = (k: number, s: number): number => Math.exp(-(k * k) / (2 * s * s));

  it('builds operators with hand-computed taps and edge folding', () => {
    const m = blurMatrices([1, 0], 5, 3);
    const d = m.arraySync();
    m.dispose();
    const z = w(0, 1) + 2 * (w(1, 1) + w(2, 1) + w(3, 1));
    // Row 0: taps at -1..-3 fall off the left edge and land on pixel 0.
    expectClose(d[0][0], [(w(0, 1) + w(1, 1) + w(2, 1) + w(3, 1)) / z, w(1, 1) / z, w(2, 1) / z, w(3, 1) / z, 0], 1e-6);
    // Row 2 (centre): taps at -2..2 inside, +-3 folded onto the edges.
    expectClose(d[0][2], [(w(2, 1) + w(3, 1)) / z, w(1, 1) / z, w(0, 1) / z, w(1, 1) / z, (w(2, 1) + w(3, 1)) / z], 1e-6);
    for (const row of d[0]) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // sigma 0: the identity, exactly.
    expect(d[1]).toEqual([0, 1, 2, 3, 4].map((i) => [0, 1, 2, 3, 4].map((j) => (i === j ? 1 : 0))));
  });

  it('keeps a constant image constant and spreads a delta with total mass 1', () => {
    const s = 15;
    const constant = tf.fill([2, 3, s, s], 0.37) as tf.Tensor4D;
    const cb = gaussianBlur(constant, [0.5, 2], 6);
    expectClose(cb.dataSync(), new Float32Array(2 * 3 * s * s).fill(0.37), 1e-6);
    const delta = tf.buffer([3, 3, s, s]);
    for (let c = 0; c < 3; c++) for (let i = 0; i < 3; i++) delta.set(1, i, c, 7, 7);
    const x = delta.toTensor() as tf.Tensor4D;
    const y = gaussianBlur(x, [1, 0.3, 0], 3); // radius 3 = blurRadius(1)
    const out = y.arraySync();
    const z = w(0, 1) + 2 * (w(1, 1) + w(2, 1) + w(3, 1));
    for (let i = 0; i < 3; i++) {
      for (let c = 0; c < 3; c++) {
        const plane = out[i][c];
        expect(plane.flat().reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(plane[7][6]).toBeCloseTo(plane[6][7], 6); // isotropic
        expect(plane[7][5]).toBeCloseTo(plane[7][9], 6); // symmetric
      }
    }
    expect(out[0][0][7][7]).toBeCloseTo((w(0, 1) / z) ** 2, 6);
    expect(out[0][0][7][8]).toBeCloseTo((w(0, 1) * w(1, 1)) / z ** 2, 6);
    expect(out[1][0][7][7]).toBeGreaterThan(out[0][0][7][7]); // smaller sigma, higher peak
    expect(out[2][0][7][7]).toBe(1); // sigma 0 leaves the crop alone
    expect(out[2][0][7][6]).toBe(0);
    tf.dispose([constant, cb, x, y]);
  });
});

describe('augmentCrops: the whole per-crop pipeline', () => {
  /** A 6 x 6 image with distinct colours everywhere. */
  const img: ImagePixels = {
    width: 6,
    height: 6,
    pixels: Uint8Array.from({ length: 108 }, (_, i) => (i * 37 + 11) % 256),
  };
  const px = (y: number, x: number, c: number): number => img.pixels[(y * 6 + x) * 3 + c] / 255;
  const full: CropRect = { top: 0, left: 0, height: 6, width: 6 };

  /** Runs augmentCrops on `img` for each params; returns NCHW data. */
  function run(params: CropParams[], size: number, image: ImagePixels = img): Float32Array {
    const src = singleImageSource(image).sourceFor(new Int32Array([0]));
    const y = augmentCrops(src.images, new Int32Array(params.length), params, size, 2);
    const out = y.dataSync() as Float32Array;
    tf.dispose([y]);
    src.dispose();
    return out;
  }
  const at = (data: Float32Array, size: number, i: number, c: number, y: number, x: number): number =>
    data[((i * 3 + c) * size + y) * size + x];

  it('reproduces the image for the full crop at its own size, and mirrors it when flipped', () => {
    const out = run([plainCrop(full), { ...plainCrop(full), flip: true }], 6);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 6; y++) {
        for (let x = 0; x < 6; x++) {
          expect(at(out, 6, 0, c, y, x)).toBeCloseTo(px(y, x, c), 5);
          expect(at(out, 6, 1, c, y, x)).toBeCloseTo(px(y, 5 - x, c), 5);
        }
      }
    }
  });

  it('downsamples a sub-rectangle like align_corners=False resizing', () => {
    // Rows 1..4, columns 2..5 to 2 x 2: output (k, l) samples (1.5 + 2k, 2.5 + 2l), the mean of a 2 x 2 block.
    const out = run([plainCrop({ top: 1, left: 2, height: 4, width: 4 })], 2);
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < 2; k++) {
        for (let l = 0; l < 2; l++) {
          const [y, x] = [1 + 2 * k, 2 + 2 * l];
          const mean = (px(y, x, c) + px(y + 1, x, c) + px(y, x + 1, c) + px(y + 1, x + 1, c)) / 4;
          expect(at(out, 2, 0, c, k, l)).toBeCloseTo(mean, 5);
        }
      }
    }
  });

  it('upsamples with edge clamping inside a larger letterbox canvas (no black bleeding in)', async () => {
    // A 2 x 2 image stored next to a bigger one; upsampled to 4 x 4 like PyTorch bilinear
    // (align_corners=False): source coordinate (k + 0.5) / 2 - 0.5, clamped to [0, 1].
    const small = { id: 's', label: null, width: 2, height: 2, pixels: Uint8Array.from([0, 0, 0, 40, 40, 40, 80, 80, 80, 200, 200, 200]) };
    const store = new ImageStore();
    store.add([{ id: 'big', label: null, width: 9, height: 7, pixels: new Uint8Array(9 * 7 * 3) }, small]);
    const src = store.sourceFor(new Int32Array([1]));
    const y = augmentCrops(src.images, new Int32Array([0]), [plainCrop({ top: 0, left: 0, height: 2, width: 2 })], 4, 2);
    const out = (await y.data()) as Float32Array;
    tf.dispose([y]);
    src.dispose();
    store.dispose();
    const coord = (k: number): number => Math.min(Math.max((k + 0.5) / 2 - 0.5, 0), 1);
    const v = [
      [0, 40],
      [80, 200],
    ];
    for (let k = 0; k < 4; k++) {
      for (let l = 0; l < 4; l++) {
        const [fy, fx] = [coord(k), coord(l)];
        const top = v[0][0] * (1 - fx) + v[0][1] * fx;
        const bottom = v[1][0] * (1 - fx) + v[1][1] * fx;
        expect(at(out, 4, 0, 0, k, l)).toBeCloseTo((top * (1 - fy) + bottom * fy) / 255, 5);
      }
    }
  });

  it('applies jitter, grayscale, blur and solarization in the official order', () => {
    const jitter: JitterParams = { order: [3, 0, 2, 1], brightness: 1.3, contrast: 0.8, saturation: 1.5, hue: 0.2 };
    const p: CropParams = { rect: full, flip: true, jitter, grayscale: true, blurSigma: 0.8, solarize: true };
    const out = run([p, plainCrop(full)], 6);
    // Reference: the same steps one by one with the exported ops.
    const ref = tf.tidy(() => {
      const src = singleImageSource(img).sourceFor(new Int32Array([0]));
      const crop = tf.image.flipLeftRight(src.images.slice([0, 1, 1, 0], [1, 6, 6, 3]));
      let x = crop.transpose([3, 0, 1, 2]) as tf.Tensor4D;
      x = colorJitter(x, [jitter]);
      x = grayscaleWhere(x, [1]);
      let y = x.transpose([1, 0, 2, 3]) as tf.Tensor4D;
      y = gaussianBlur(y, [0.8], 6);
      return solarizeWhere(y, [1]);
    });
    expectClose(out.slice(0, 108), ref.dataSync(), 1e-5);
    ref.dispose();
    // Grayscale came before blur and solarization, so the three channels still agree.
    for (let i = 0; i < 36; i++) {
      expect(out[i]).toBeCloseTo(out[36 + i], 5);
      expect(out[i]).toBeCloseTo(out[72 + i], 5);
    }
  });

  it('checks shapes and box indices', () => {
    const src = singleImageSource(img).sourceFor(new Int32Array([0, 0]));
    // Box index 1 < 2 images but not < 1 crop: tfjs-webgpu would leave that crop unwritten.
    expect(() => augmentCrops(src.images, new Int32Array([1]), [plainCrop(full)], 4, 2)).toThrow(/box index 1/);
    expect(() => augmentCrops(src.images, new Int32Array([0, 0]), [plainCrop(full)], 4, 2)).toThrow(/2 box indices for 1/);
    expect(() => tf.tidy(() => adjustHue(tf.zeros([2, 3, 4, 4]) as tf.Tensor4D, [0, 0]))).toThrow(/planes \[3, N, H, W\]/);
    src.dispose();
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(5);
    const params = Array.from({ length: 12 }, (_, i) =>
      drawCropParams(rng, (['global1', 'global2', 'local'] as const)[i % 3], 6, 6, { ...defaultAugment, solarizeP: 0.5 }),
    );
    run(params, 8);
    const x = planes([[P0, P1]]);
    tf.dispose([adjustHue(x, [0.1]), adjustContrast(x, [1.2]), colorJitter(x, [null]), grayscaleWhere(x, [0])]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('PIL bicubic resize (augment.bicubic, the official RandomResizedCrop on PIL images)', () => {
  // Reference crops written by PIL itself: scripts/make-pil-fixture.py.
  const fixture = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/pil-bicubic.json'), 'utf8')) as {
    pil: string;
    width: number;
    height: number;
    pixels: number[];
    crops: { top: number; left: number; height: number; width: number; size: number; flip: boolean; pixels: number[] }[];
  };
  const image = { width: fixture.width, height: fixture.height, pixels: Uint8Array.from(fixture.pixels) };

  /** Our crop as HWC 0..255 floats. */
  async function crop(c: (typeof fixture.crops)[number], resize: 'bicubic' | 'bilinear'): Promise<Float32Array> {
    // Stored next to a larger image, so the letterbox canvas is bigger than the image.
    const store = new ImageStore();
    store.add([{ id: 'big', label: null, width: fixture.width + 9, height: fixture.height + 5, pixels: new Uint8Array((fixture.width + 9) * (fixture.height + 5) * 3) }, { id: 'img', label: null, ...image }]);
    const src = store.sourceFor(new Int32Array([1]));
    const params = { ...plainCrop({ top: c.top, left: c.left, height: c.height, width: c.width }), flip: c.flip };
    const y = augmentCrops(src.images, new Int32Array([0]), [params], c.size, 0, resize);
    const nchw = (await y.data()) as Float32Array;
    tf.dispose(y);
    src.dispose();
    store.dispose();
    const s = c.size;
    const hwc = new Float32Array(s * s * 3);
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < s * s; p++) hwc[p * 3 + ch] = nchw[ch * s * s + p] * 255;
    return hwc;
  }

  it(`equals PIL ${fixture.pil} on shrinking, enlarging, non-square and flipped crops`, async () => {
    const before = tf.memory().numTensors;
    let worst = 0;
    let differing = 0;
    let total = 0;
    for (const c of fixture.crops) {
      const ours = await crop(c, 'bicubic');
      let max = 0;
      let sum = 0;
      ours.forEach((v, i) => {
        const d = Math.abs(v - c.pixels[i]);
        max = Math.max(max, d);
        sum += d;
        if (d > 0.01) differing++;
      });
      worst = Math.max(worst, max);
      total += ours.length;
      // Same passes, same uint8 rounding: equal up to float error at a rounding tie (1 level).
      expect(max, `crop ${JSON.stringify({ ...c, pixels: undefined })}`).toBeLessThanOrEqual(1.0001);
      expect(sum / ours.length).toBeLessThan(0.01);
    }
    console.log(`PIL bicubic: ${differing} of ${total} values differ from PIL (worst ${worst.toFixed(3)} levels)`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differs from bilinear sampling where PIL antialiases (shrinking a noisy image)', async () => {
    const strong = fixture.crops.find((c) => c.width / c.size >= 4)!;
    const bilinear = await crop(strong, 'bilinear');
    const worst = Math.max(...Array.from(bilinear, (v, i) => Math.abs(v - strong.pixels[i])));
    expect(worst).toBeGreaterThan(10);
  });

  it('is the identity at 1:1 and keeps each row of weights summing to 1', () => {
    const w = new Float32Array(5 * 9);
    pilBicubicWeights(2, 5, 5, 9, false, w);
    for (let k = 0; k < 5; k++) {
      const row = Array.from(w.subarray(k * 9, k * 9 + 9));
      expect(row.map((v) => Math.round(v * 1e6) / 1e6 + 0)).toEqual(row.map((_, x) => (x === 1 + 2 + k ? 1 : 0)));
    }
    const shrink = new Float32Array(3 * 20);
    pilBicubicWeights(0, 17, 3, 20, true, shrink);
    for (let k = 0; k < 3; k++) expect(shrink.subarray(k * 20, k * 20 + 20).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Taps stay inside the span (+ the one-pixel border) and never read the letterbox beyond it.
    expect(Array.from(shrink).every((v, i) => v === 0 || (i % 20 >= 1 && i % 20 < 18))).toBe(true);
  });
});
