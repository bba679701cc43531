import { describe, expect, it } from 'vitest';
import { ColumnTable, emaSmooth, lowerBound, minMaxDownsample } from './series';

describe('ColumnTable', () => {
  it('grows past its capacity and keeps every row', () => {
    const t = new ColumnTable(['step', 'loss'] as const, 2);
    for (let i = 0; i < 5; i++) t.push({ step: i, loss: 10 - i });
    expect(t.length).toBe(5);
    expect(Array.from(t.column('step'))).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(t.column('loss'))).toEqual([10, 9, 8, 7, 6]);
  });

  it('truncates and clears', () => {
    const t = new ColumnTable(['a'] as const);
    [1, 2, 3].forEach((a) => t.push({ a }));
    t.truncate(2);
    expect(Array.from(t.column('a'))).toEqual([1, 2]);
    t.clear();
    expect(t.length).toBe(0);
  });
});

describe('lowerBound', () => {
  it('finds the first index not below the value', () => {
    const xs = [1, 3, 3, 7];
    expect(lowerBound(xs, 0)).toBe(0);
    expect(lowerBound(xs, 3)).toBe(1);
    expect(lowerBound(xs, 4)).toBe(3);
    expect(lowerBound(xs, 8)).toBe(4);
  });
});

describe('minMaxDownsample', () => {
  it('returns short lines unchanged', () => {
    const r = minMaxDownsample([0, 1, 2], [5, 6, 7], 10);
    expect(Array.from(r.x)).toEqual([0, 1, 2]);
    expect(Array.from(r.y)).toEqual([5, 6, 7]);
  });

  it('keeps the min and max of each bucket in x order, so spikes survive', () => {
    const x = Array.from({ length: 12 }, (_, i) => i);
    const y = [0, 9, 1, 1, 1, 1, -5, 1, 1, 1, 1, 2];
    const r = minMaxDownsample(x, y, 3); // buckets of 4: [0..3], [4..7], [8..11]
    expect(Array.from(r.x)).toEqual([0, 1, 4, 6, 8, 11]);
    expect(Array.from(r.y)).toEqual([0, 9, 1, -5, 1, 2]);
  });

  it('turns a bucket without finite values into one NaN gap point', () => {
    const x = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const y = [1, 2, 3, NaN, NaN, NaN, 4, 5, 6];
    const r = minMaxDownsample(x, y, 3);
    expect(Array.from(r.x)).toEqual([0, 2, 3, 6, 8]);
    expect(r.y[2]).toBeNaN();
    expect([r.y[0], r.y[1], r.y[3], r.y[4]]).toEqual([1, 3, 4, 6]);
  });

  it('limits to the x range plus one neighbour on each side', () => {
    const x = Array.from({ length: 100 }, (_, i) => i * 10);
    const y = x.map((v) => v / 10);
    const r = minMaxDownsample(x, y, 50, [200, 300]);
    expect(r.x[0]).toBe(190);
    expect(r.x[r.x.length - 1]).toBe(300);
    expect(r.x.length).toBe(12);
  });

  it('reduces 100k points to at most 2 per bucket', () => {
    const n = 100_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 1000));
    const r = minMaxDownsample(x, y, 500);
    expect(r.x.length).toBeLessThanOrEqual(1000);
    expect(Math.max(...r.y)).toBeCloseTo(1, 6);
    expect(Math.min(...r.y)).toBeCloseTo(-1, 6);
  });
});

describe('emaSmooth', () => {
  it('is debiased: a constant stays constant', () => {
    expect(Array.from(emaSmooth([2, 2, 2], 0.9))).toEqual([2, 2, 2].map(() => expect.closeTo(2, 12)));
  });

  it('matches the hand-computed debiased EMA', () => {
    const s = emaSmooth([1, 3], 0.5);
    expect(s[0]).toBeCloseTo(1, 12); // 0.5 / (1 - 0.5)
    expect(s[1]).toBeCloseTo((0.25 + 1.5) / 0.75, 12); // (0.5*0.5 + 0.5*3) / (1 - 0.25) = 2.333...
  });

  it('passes NaN through without poisoning later values', () => {
    const s = emaSmooth([1, NaN, 1], 0.5);
    expect(s[1]).toBeNaN();
    expect(s[2]).toBeCloseTo(1, 12);
  });

  it('weight 0 returns the raw values', () => {
    expect(Array.from(emaSmooth([3, 1, 4], 0))).toEqual([3, 1, 4]);
  });
});
