/**
 * Test-only helpers for the augmentation tests: tolerant comparison, crops written as lists of RGB
 * pixels (planes [3, N, 1, W] and back), and two pixels with their hand-computed luma.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Element-wise |actual - expected| <= tol, naming the first element that is not. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (tol ${tol})`);
    }
  }
}

/** Crops given as lists of RGB pixels (one row each) -> planes [3, N, 1, W]. */
export function planes(crops: number[][][]): tf.Tensor4D {
  const n = crops.length;
  const w = crops[0].length;
  const data = new Float32Array(3 * n * w);
  crops.forEach((px, i) => px.forEach((rgb, x) => rgb.forEach((v, c) => (data[(c * n + i) * w + x] = v))));
  return tf.tensor4d(data, [3, n, 1, w]);
}

/** Planes [3, N, 1, W] -> lists of RGB pixels, the inverse of `planes`. */
export function pixelsOf(x: tf.Tensor4D): number[][][] {
  const [, n, , w] = x.shape;
  const d = x.dataSync();
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: w }, (_, px) => [0, 1, 2].map((c) => d[(c * n + i) * w + px])),
  );
}

/** `x` as RGB pixels equals `expected`; disposes x. */
export function expectPixels(x: tf.Tensor4D, expected: number[][][], tol = 1e-5): void {
  expectClose(pixelsOf(x).flat(2), expected.flat(2), tol);
  x.dispose();
}

/** Two test pixels and their luma, for hand computations. */
export const P0 = [0.2, 0.4, 0.6];
export const P1 = [0.8, 0.4, 0.2];
export const GRAY0 = 0.299 * 0.2 + 0.587 * 0.4 + 0.114 * 0.6; // 0.3630
export const GRAY1 = 0.299 * 0.8 + 0.587 * 0.4 + 0.114 * 0.2; // 0.4968
