import { describe, expect, it } from 'vitest';
import { COLLAPSE_MESSAGES, detectCollapse } from './collapse';

const lnK = Math.log(256);
const range = (n: number, every = 1) => Array.from({ length: n }, (_, i) => (i + 1) * every);

describe('detectCollapse', () => {
  it('is quiet while the KL is healthy', () => {
    const steps = range(40);
    expect(detectCollapse(steps, steps.map(() => 0.5), steps.map(() => 4), lnK)).toBeNull();
  });

  it('reports collapse to one dimension when KL ~ 0 and entropy ~ 0 for 20 steps', () => {
    const steps = range(30);
    const kl = steps.map((s) => (s <= 10 ? 0.4 : 0.001));
    const h = steps.map((s) => (s <= 10 ? 3 : 0.02));
    const d = detectCollapse(steps, kl, h, lnK);
    expect(d?.kind).toBe('one-dimension');
    expect(d?.sinceStep).toBe(11);
    expect(d?.entropy).toBeCloseTo(0.02, 12);
    expect(d?.message).toBe(COLLAPSE_MESSAGES['one-dimension']);
    expect(d?.message).toContain('turn centering on / lower the center momentum');
  });

  it('reports uniform collapse when KL ~ 0 and entropy ~ ln K', () => {
    const steps = range(25);
    const d = detectCollapse(steps, steps.map(() => 0.0005), steps.map(() => lnK - 0.01), lnK);
    expect(d?.kind).toBe('uniform');
    expect(d?.sinceStep).toBe(1);
    expect(d?.message).toContain('lower the teacher temperature');
  });

  it('needs the low KL to last the whole window', () => {
    const steps = range(30);
    const kl = steps.map((s) => (s <= 15 ? 0.4 : 0.001)); // low for steps 16..30 = 15 steps
    expect(detectCollapse(steps, kl, steps.map(() => 0), lnK)).toBeNull();
    expect(detectCollapse(steps, kl, steps.map(() => 0), lnK, { window: 15 })?.kind).toBe('one-dimension');
  });

  it('counts steps between sparse metric rows', () => {
    const steps = range(8, 5); // 5, 10, ..., 40
    const kl = steps.map((s) => (s <= 20 ? 0.3 : 0.002)); // rows 25..40 low: covers steps 21..40
    expect(detectCollapse(steps, kl, steps.map(() => 0.1), lnK)?.sinceStep).toBe(25);
  });

  it('treats NaN as not collapsed', () => {
    const steps = range(30);
    const kl = steps.map((s) => (s === 30 ? NaN : 0));
    expect(detectCollapse(steps, kl, steps.map(() => 0), lnK)).toBeNull();
  });
});
