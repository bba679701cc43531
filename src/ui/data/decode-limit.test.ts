import { describe, expect, it } from 'vitest';
import { DecodeLimiter } from './decode-limit';

/** Runs jobs of the given pixel counts through a limiter; returns the most jobs and pixels seen at once. */
async function peak(limiter: DecodeLimiter, sizes: number[]): Promise<{ jobs: number; pixels: number; order: number[] }> {
  let jobs = 0;
  let pixels = 0;
  const seen = { jobs: 0, pixels: 0, order: [] as number[] };
  await Promise.all(
    sizes.map((px, i) =>
      limiter.run(px, async () => {
        jobs++;
        pixels += px;
        seen.order.push(i);
        seen.jobs = Math.max(seen.jobs, jobs);
        seen.pixels = Math.max(seen.pixels, pixels);
        await new Promise((r) => setTimeout(r, 5));
        jobs--;
        pixels -= px;
      }),
    ),
  );
  return seen;
}

describe('DecodeLimiter', () => {
  it('runs at most 4 decodes at once', async () => {
    const seen = await peak(new DecodeLimiter(4, 1e9), Array(16).fill(1000));
    expect(seen.jobs).toBe(4);
    expect(seen.order).toEqual([...Array(16).keys()]);
  });

  it('keeps the pixels decoded at once within the budget; an image over the budget runs alone', async () => {
    const seen = await peak(new DecodeLimiter(4, 100), [60, 30, 30, 10, 150, 40, 40]);
    expect(seen.pixels).toBe(150);
    const small = await peak(new DecodeLimiter(4, 100), [60, 30, 30, 10, 40, 40]);
    expect(small.pixels).toBeLessThanOrEqual(100);
  });

  it('frees its slot when a decode fails', async () => {
    const limiter = new DecodeLimiter(1, 100);
    await expect(limiter.run(10, () => Promise.reject(new Error('bad image')))).rejects.toThrow('bad image');
    await expect(limiter.run(10, async () => 'next')).resolves.toBe('next');
  });
});
