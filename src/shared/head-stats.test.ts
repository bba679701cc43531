import { describe, expect, it } from 'vitest';
import { headEntropies, headJaccard } from './head-stats';

describe('per-head statistics', () => {
  it('entropy is log(P) for uniform attention and 0 for attention on one patch', () => {
    const maps = Float32Array.of(1, 1, 1, 1, 0, 0, 5, 0); // head 0 uniform, head 1 one patch
    const e = headEntropies(maps, 2);
    expect(e[0]).toBeCloseTo(Math.log(4), 12);
    expect(e[1]).toBe(0);
  });

  it('Jaccard of the thresholded mask with a foreground', () => {
    // Head 0 puts 90 % of its mass on patches 0 and 1; head 1 on patches 2 and 3.
    const maps = Float32Array.of(0.45, 0.45, 0.05, 0.05, 0.05, 0.05, 0.45, 0.45);
    const j = headJaccard(maps, 2, 0.6, [1, 1, 0, 0]);
    expect(j[0]).toBe(1);
    expect(j[1]).toBe(0);
    expect(() => headJaccard(maps, 2, 0.6, [1, 0])).toThrow(/foreground/);
  });
});
