import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectClose } from '../test-support/augment';
import { SOLARIZE_THRESHOLD, blurMatrices, gaussianBlur, solarizeWhere } from './augment-blur-solarize';

beforeAll(async () => {
  await tf.setBackend('cpu');
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

describe('solarization', () => {
  it('solarization inverts pixels >= 128/255 of the masked crops (NCHW)', () => {
    const vals = [0.2, 0.5, SOLARIZE_THRESHOLD, 0.7, 127 / 255, 1];
    const x = tf.tensor4d([...vals, ...vals], [2, 3, 1, 2]);
    const y = solarizeWhere(x, [1, 0]);
    expectClose(y.dataSync(), [0.2, 0.5, 127 / 255, 0.3, 127 / 255, 0, ...vals], 1e-6);
    tf.dispose([x, y]);
  });
});
