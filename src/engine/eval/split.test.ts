import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { stratification, stratifiedSplit } from './split';

function labelsOf(counts: number[]): Int32Array {
  return Int32Array.from(counts.flatMap((n, c) => Array(n).fill(c)));
}

describe('stratifiedSplit', () => {
  it('gives each class its share of the validation rows within 1, ceil(f n) in all, as a partition', () => {
    const rng = new Rng(5);
    for (const f of [0.2, 0.25, 0.3, 0.5, 0.9]) {
      for (let trial = 0; trial < 5; trial++) {
        const counts = Array.from({ length: 2 + rng.int(9) }, () => 2 + rng.int(40));
        // shuffled label order, so rows of a class are not contiguous
        const labels = labelsOf(counts);
        for (let i = labels.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [labels[i], labels[j]] = [labels[j], labels[i]];
        }
        const s = stratifiedSplit(labels, f, trial);
        const rep = stratification(labels, s, f);
        expect(rep.partition).toBe(true);
        expect(rep.worstDeviation).toBeLessThanOrEqual(1);
        expect(s.val.length).toBe(Math.ceil(f * labels.length));
      }
    }
  });

  it('is seeded: the same seed gives the same split, another seed another', () => {
    const labels = labelsOf([30, 20, 50]);
    const a = stratifiedSplit(labels, 0.2, 42);
    expect(Array.from(stratifiedSplit(labels, 0.2, 42).val)).toEqual(Array.from(a.val));
    expect(Array.from(stratifiedSplit(labels, 0.2, 43).val)).not.toEqual(Array.from(a.val));
  });

  it('stratification() catches a split that is not stratified', () => {
    const labels = labelsOf([50, 50]);
    const firstFifth = { val: Int32Array.from({ length: 20 }, (_, i) => i), train: Int32Array.from({ length: 80 }, (_, i) => i + 20) };
    const rep = stratification(labels, firstFifth, 0.2);
    expect(rep.partition).toBe(true);
    expect(rep.worstDeviation).toBe(10); // class 0 got 20 instead of 10
    const overlapping = { val: Int32Array.of(0, 1), train: Int32Array.from({ length: 99 }, (_, i) => i + 1) };
    expect(stratification(labels, overlapping, 0.2).partition).toBe(false);
  });

  it('refuses fractions outside (0, 1)', () => {
    expect(() => stratifiedSplit(labelsOf([5, 5]), 0, 1)).toThrow(/fraction/);
    expect(() => stratifiedSplit(labelsOf([5, 5]), 1, 1)).toThrow(/fraction/);
  });
});
