import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { accuracy, knnUniform } from './knn-uniform';
import { pca } from './pca';
import { SKLEARN_TSNE, Tsne, conditionalP, kSmallest, pairwiseSquaredDistances } from './tsne';
import { trustworthiness } from './trustworthiness';

/** n points in `dim` dimensions around `classes` well-separated centres. */
function blobs(n: number, dim: number, classes: number, seed: number): { x: Float64Array; labels: Int32Array } {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes * dim }, () => 10 * (rng.next() - 0.5));
  const labels = Int32Array.from({ length: n }, (_, i) => i % classes);
  const x = Float64Array.from({ length: n * dim }, (_, e) => centres[labels[Math.floor(e / dim)] * dim + (e % dim)] + (rng.next() - 0.5));
  return { x, labels };
}

describe('t-SNE (sklearn defaults)', () => {
  it('conditionalP meets the perplexity: each row has entropy log(perplexity) and sums to 1', () => {
    const rng = new Rng(2);
    const rows = 5;
    const cols = 60;
    const d2 = Float64Array.from({ length: rows * cols }, () => 10 * rng.next());
    const p = conditionalP(d2, rows, cols, 20);
    for (let i = 0; i < rows; i++) {
      const row = p.subarray(i * cols, (i + 1) * cols);
      const sum = row.reduce((a, b) => a + b, 0);
      const h = -row.reduce((a, v) => a + (v > 0 ? v * Math.log(v) : 0), 0);
      expect(sum).toBeCloseTo(1, 10);
      expect(h).toBeCloseTo(Math.log(20), 4);
    }
  });

  for (const method of ['exact', 'barnes-hut'] as const) {
    it(`${method}: separates clusters that PCA to 2-D mixes, and is seeded`, () => {
      const { x, labels } = blobs(150, 12, 5, 7);
      const opts = { ...SKLEARN_TSNE, method, iterations: 500 };
      const t = new Tsne(x, 12, opts, 42);
      expect(t.method).toBe(method);
      expect(t.learningRate).toBe(50); // max(150 / 48, 50)
      const y = t.run();
      expect(t.iteration).toBe(500);
      const trust = trustworthiness(x, 12, y, 2, 5);
      const trustPca = trustworthiness(x, 12, pca(x, 12, 2).scores, 2, 5);
      expect(trust).toBeGreaterThan(0.9);
      expect(trust).toBeGreaterThan(trustPca);
      const train = Int32Array.from({ length: 120 }, (_, i) => i);
      const val = Int32Array.from({ length: 30 }, (_, i) => 120 + i);
      expect(accuracy(knnUniform(y, 2, labels, train, val, 5).pred, labels, val)).toBeGreaterThan(0.95);
      const again = new Tsne(x, 12, { ...opts, iterations: 20 }, 42);
      const once = new Tsne(x, 12, { ...opts, iterations: 20 }, 42);
      expect(Array.from(again.run())).toEqual(Array.from(once.run()));
    });
  }

  it('starts from PCA scaled to a first-coordinate std of 1e-4', () => {
    const { x } = blobs(60, 5, 3, 1);
    const y = new Tsne(x, 5, { ...SKLEARN_TSNE, iterations: 0 }).y;
    const first = Array.from({ length: 60 }, (_, i) => y[2 * i]);
    const mean = first.reduce((a, b) => a + b, 0) / 60;
    const std = Math.sqrt(first.reduce((a, b) => a + (b - mean) ** 2, 0) / 60);
    expect(std).toBeCloseTo(1e-4, 10);
  });

  it('refuses a perplexity not below the number of points', () => {
    const { x } = blobs(20, 3, 2, 1);
    expect(() => new Tsne(x, 3)).toThrow(/perplexity/);
  });
});

describe('neighbour search for the Barnes-Hut affinities', () => {
  it('kSmallest equals the first k of a full sort (ties by index)', () => {
    const rng = new Rng(9);
    const values = Float64Array.from({ length: 300 }, () => rng.int(50)); // many ties
    const sorted = Array.from(values.keys()).sort((a, b) => values[a] - values[b] || a - b);
    for (const k of [1, 7, 91, 300]) expect(Array.from(kSmallest(values, k))).toEqual(sorted.slice(0, k));
  });

  it('pairwiseSquaredDistances is symmetric with an infinite diagonal', () => {
    const x = Float64Array.of(0, 0, 3, 4, 1, 1);
    const d = pairwiseSquaredDistances(x, 2, 3);
    expect(Array.from(d)).toEqual([Infinity, 25, 2, 25, Infinity, 13, 2, 13, Infinity]);
  });
});

describe('pca', () => {
  it('finds the directions of largest variance, ordered, unit length', () => {
    const rng = new Rng(3);
    // Variance 9 along (1, 1, 0) / sqrt 2, 1 along z, 0.01 along (1, -1, 0) / sqrt 2.
    const x = new Float64Array(500 * 3);
    for (let i = 0; i < 500; i++) {
      const a = 3 * Math.sqrt(3) * 2 * (rng.next() - 0.5);
      const b = Math.sqrt(3) * 2 * (rng.next() - 0.5);
      const c = 0.1 * Math.sqrt(3) * 2 * (rng.next() - 0.5);
      x.set([(a + c) / Math.SQRT2, (a - c) / Math.SQRT2, b], 3 * i);
    }
    const r = pca(x, 3, 2);
    expect(r.variance[0]).toBeGreaterThan(r.variance[1]);
    expect(Math.abs(r.components[0])).toBeCloseTo(Math.SQRT1_2, 2);
    expect(Math.abs(r.components[1])).toBeCloseTo(Math.SQRT1_2, 2);
    expect(Math.abs(r.components[5])).toBeCloseTo(1, 3);
    expect(r.variance[0]).toBeCloseTo(9, 0);
  });
});
