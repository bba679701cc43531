/**
 * How many image decodes run at once. A decode holds the whole image as RGBA (4 bytes a pixel)
 * until it is downscaled, so the import runs at most MAX_DECODES at a time and at most
 * DECODE_PIXEL_BUDGET pixels together; one image larger than the budget (up to the import's
 * MAX_IMAGE_PIXELS) runs alone.
 */

/** Decodes at once. */
export const MAX_DECODES = 4;
/** Pixels decoded at once: 64 MP, 256 MB of RGBA. */
export const DECODE_PIXEL_BUDGET = 64_000_000;

export class DecodeLimiter {
  private running = 0;
  private pixels = 0;
  private readonly waiting: { pixels: number; start: () => void }[] = [];

  constructor(
    private readonly maxJobs = MAX_DECODES,
    private readonly pixelBudget = DECODE_PIXEL_BUDGET,
  ) {}

  /** Runs `job` once a slot and `pixels` of the budget are free; jobs start in arrival order. */
  async run<T>(pixels: number, job: () => Promise<T>): Promise<T> {
    await new Promise<void>((start) => {
      this.waiting.push({ pixels, start });
      this.startWaiting();
    });
    try {
      return await job();
    } finally {
      this.running--;
      this.pixels -= pixels;
      this.startWaiting();
    }
  }

  private startWaiting(): void {
    while (this.waiting.length) {
      const next = this.waiting[0];
      const fits = this.running === 0 || (this.running < this.maxJobs && this.pixels + next.pixels <= this.pixelBudget);
      if (!fits) return;
      this.waiting.shift();
      this.running++;
      this.pixels += next.pixels;
      next.start();
    }
  }
}
