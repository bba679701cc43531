/**
 * Keeps the changes a person perceives at least `ms` apart. The interval is counted from when a
 * change was shown (committed to the page), not from when it was decided: a render that lands late,
 * on a busy main thread, would otherwise bring the next change closer than `ms` to it.
 */
export class Spacing {
  private lastShown = -Infinity;

  constructor(readonly ms: number) {}

  /** How long to wait, from `now`, before the next change may be shown. */
  delay(now: number): number {
    return Math.max(0, this.lastShown + this.ms - now);
  }

  /** A change reached the page at `now`. */
  shown(now: number): void {
    this.lastShown = now;
  }
}
