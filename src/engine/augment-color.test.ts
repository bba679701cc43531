import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRAY0, GRAY1, P0, P1, expectClose, expectPixels, pixelsOf, planes } from '../test-support/augment';
import { adjustBrightness, adjustContrast, adjustHue, adjustSaturation, colorJitter, grayscaleWhere, rgbToGray } from './augment-color';
import type { JitterParams } from './augment-params';

beforeAll(async () => {
  await tf.setBackend('cpu');
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
