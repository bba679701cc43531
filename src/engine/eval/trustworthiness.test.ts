import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { trustworthiness } from './trustworthiness';

describe('trustworthiness (sklearn.manifold.trustworthiness)', () => {
  const rng = new Rng(1);
  const n = 40;
  const x = Float64Array.from({ length: n * 3 }, () => rng.next());

  it('is 1 for an embedding that keeps every neighbourhood (a scaled copy)', () => {
    expect(trustworthiness(x, 3, x.map((v) => 2 * v), 3, 5)).toBeCloseTo(1, 12);
  });

  it('follows the formula on a hand-checked case: points on a line, the two ends swapped', () => {
    // Gaps 1, 2, 3, ... so no two distances tie. The embedding swaps points 0 and 9; k = 1.
    const line = Float64Array.of(0, 1, 3, 6, 10, 15, 21, 28, 36, 45);
    const emb = Float64Array.from(line);
    emb[0] = 45;
    emb[9] = 0;
    // point 0 (now at 45) is nearest point 8: rank 8 in the original -> 7
    // point 9 (now at 0) is nearest point 1: rank 8 from 9 -> 7
    // point 1 is nearest point 9 (at 0, distance 1): rank 9 from 1 -> 8
    // every other point keeps its true nearest neighbour -> 0
    expect(trustworthiness(line, 1, emb, 1, 1)).toBeCloseTo(1 - (2 / (10 * 1 * (20 - 3 - 1))) * 22, 12);
  });

  it('is low for a random embedding', () => {
    const random = Float64Array.from({ length: n * 2 }, () => rng.next());
    expect(trustworthiness(x, 3, random, 2, 5)).toBeLessThan(0.75);
  });

  it('refuses k >= n / 2', () => {
    expect(() => trustworthiness(x, 3, x, 3, 20)).toThrow(/k must be/);
  });
});
