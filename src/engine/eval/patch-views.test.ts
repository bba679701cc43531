import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { attentionRollout, fuseHeads, patchPca } from './patch-views';

describe('patch PCA', () => {
  it('separates an object from the background, whichever sign the first component takes', () => {
    // 6 x 6 grid, a 2 x 2 object in the middle with tokens far from the background's.
    const rng = new Rng(1);
    const rows = 6;
    const cols = 6;
    const dim = 8;
    const inside = (i: number) => [14, 15, 20, 21].includes(i);
    for (const flip of [1, -1]) {
      const tokens = Float64Array.from({ length: rows * cols * dim }, (_, e) => (inside(Math.floor(e / dim)) && e % dim === 0 ? 10 * flip : 0) + 0.1 * rng.next());
      const r = patchPca(tokens, rows, cols, dim);
      expect(Array.from(r.foreground.keys()).filter((i) => r.foreground[i])).toEqual([14, 15, 20, 21]);
      for (let i = 0; i < rows * cols; i++) if (!r.foreground[i]) expect([r.rgb[3 * i], r.rgb[3 * i + 1], r.rgb[3 * i + 2]]).toEqual([0, 0, 0]);
    }
  });
});

describe('attention rollout', () => {
  it('fuses heads by mean, max and min', () => {
    const a = Float32Array.of(0.2, 0.8, 0.5, 0.5, 0.6, 0.4, 0.1, 0.9); // 2 heads of 2 x 2
    expect(Array.from(fuseHeads(a, 2, 2, 'mean')).map((v) => +v.toFixed(6))).toEqual([0.4, 0.6, 0.3, 0.7]);
    expect(Array.from(fuseHeads(a, 2, 2, 'max')).map((v) => +v.toFixed(6))).toEqual([0.6, 0.8, 0.5, 0.9]);
    expect(Array.from(fuseHeads(a, 2, 2, 'min')).map((v) => +v.toFixed(6))).toEqual([0.2, 0.4, 0.1, 0.5]);
  });

  it('matches the full matrix product computed by hand on one block', () => {
    // One head, N = 3: CLS attends 0.2 / 0.7 / 0.1. With the residual: (A + I) / 2, CLS row (0.6, 0.35, 0.05).
    const a = Float32Array.of(0.2, 0.7, 0.1, 0.3, 0.3, 0.4, 0.5, 0.25, 0.25);
    const r = attentionRollout([a], 1, 3, 'mean', 0);
    expect(r[0]).toBeCloseTo(1, 12);
    expect(r[1]).toBeCloseTo(0.05 / 0.35, 6); // float32 input
  });

  it('propagates through blocks: a block that only attends to itself leaves the other unchanged', () => {
    const identity = Float32Array.of(1, 0, 0, 0, 1, 0, 0, 0, 1);
    const a = Float32Array.of(0.2, 0.7, 0.1, 0.3, 0.3, 0.4, 0.5, 0.25, 0.25);
    const one = attentionRollout([a], 1, 3, 'mean', 0);
    const two = attentionRollout([identity, a], 1, 3, 'mean', 0);
    expect(Array.from(two)).toEqual(Array.from(one));
  });

  it('discarding the weakest weights changes the map and keeps CLS -> CLS', () => {
    const rng = new Rng(2);
    const n = 5;
    const raw = Float32Array.from({ length: n * n }, () => rng.next());
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += raw[i * n + j];
      for (let j = 0; j < n; j++) raw[i * n + j] /= s;
    }
    const kept = attentionRollout([raw, raw], 1, n, 'mean', 0);
    const pruned = attentionRollout([raw, raw], 1, n, 'mean', 0.5);
    expect(Array.from(pruned)).not.toEqual(Array.from(kept));
    expect(Math.max(...pruned)).toBeCloseTo(1, 12);
    expect(() => attentionRollout([raw], 1, n, 'mean', 1)).toThrow(/discard/);
  });
});
