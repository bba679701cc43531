import { describe, expect, it } from 'vitest';
import { defaultAugment, type AugmentConfig } from '../shared/config';
import { Rng } from '../shared/rng';
import { drawCropParams, sampleCropRect, type CropKind, type CropParams, type CropRect, type JitterParams } from './augment-params';

/** Binomial check: |count - n p| within 4.5 standard deviations (a false alarm about 1 in 150,000). */
function expectFrequency(count: number, n: number, p: number): void {
  const sd = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(count - n * p)).toBeLessThanOrEqual(4.5 * sd + 1e-9);
}


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
