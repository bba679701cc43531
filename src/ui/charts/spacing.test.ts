import { describe, expect, it } from 'vitest';
import { Spacing } from './spacing';

describe('Spacing', () => {
  it('lets the first change through at once', () => {
    expect(new Spacing(5000).delay(123)).toBe(0);
  });

  it('counts the interval from when a change was shown, not from when it was decided', () => {
    const s = new Spacing(5000);
    // Decided at 0 (delay 0), but the busy page committed it only at 400.
    expect(s.delay(0)).toBe(0);
    s.shown(400);
    // The next value arrives at 1000: it must wait until 5400, so that the two are 5000 ms apart.
    expect(s.delay(1000)).toBe(4400);
    expect(s.delay(5400)).toBe(0);
  });
});
