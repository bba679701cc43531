import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { augmentCrops } from './augment';
import { plainCrop } from './augment-params';
import { pilBicubicWeights } from './augment-resize';
import { ImageStore } from './image-store';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('PIL bicubic resize (augment.bicubic, the official RandomResizedCrop on PIL images)', () => {
  // Reference crops written by PIL itself: scripts/make-pil-fixture.py.
  const fixture = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/pil-bicubic.json'), 'utf8')) as {
    pil: string;
    width: number;
    height: number;
    pixels: number[];
    crops: { top: number; left: number; height: number; width: number; size: number; flip: boolean; pixels: number[] }[];
  };
  const image = { width: fixture.width, height: fixture.height, pixels: Uint8Array.from(fixture.pixels) };

  /** Our crop as HWC 0..255 floats. */
  async function crop(c: (typeof fixture.crops)[number], resize: 'bicubic' | 'bilinear'): Promise<Float32Array> {
    // Stored next to a larger image, so the letterbox canvas is bigger than the image.
    const store = new ImageStore();
    store.add([{ id: 'big', label: null, width: fixture.width + 9, height: fixture.height + 5, pixels: new Uint8Array((fixture.width + 9) * (fixture.height + 5) * 3) }, { id: 'img', label: null, ...image }]);
    const src = store.sourceFor(new Int32Array([1]));
    const params = { ...plainCrop({ top: c.top, left: c.left, height: c.height, width: c.width }), flip: c.flip };
    const y = augmentCrops(src.images, new Int32Array([0]), [params], c.size, 0, resize);
    const nchw = (await y.data()) as Float32Array;
    tf.dispose(y);
    src.dispose();
    store.dispose();
    const s = c.size;
    const hwc = new Float32Array(s * s * 3);
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < s * s; p++) hwc[p * 3 + ch] = nchw[ch * s * s + p] * 255;
    return hwc;
  }

  it(`equals PIL ${fixture.pil} on shrinking, enlarging, non-square and flipped crops`, async () => {
    const before = tf.memory().numTensors;
    let worst = 0;
    let differing = 0;
    let total = 0;
    for (const c of fixture.crops) {
      const ours = await crop(c, 'bicubic');
      let max = 0;
      let sum = 0;
      ours.forEach((v, i) => {
        const d = Math.abs(v - c.pixels[i]);
        max = Math.max(max, d);
        sum += d;
        if (d > 0.01) differing++;
      });
      worst = Math.max(worst, max);
      total += ours.length;
      // Same passes, same uint8 rounding: equal up to float error at a rounding tie (1 level).
      expect(max, `crop ${JSON.stringify({ ...c, pixels: undefined })}`).toBeLessThanOrEqual(1.0001);
      expect(sum / ours.length).toBeLessThan(0.01);
    }
    console.log(`PIL bicubic: ${differing} of ${total} values differ from PIL (worst ${worst.toFixed(3)} levels)`);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('differs from bilinear sampling where PIL antialiases (shrinking a noisy image)', async () => {
    const strong = fixture.crops.find((c) => c.width / c.size >= 4)!;
    const bilinear = await crop(strong, 'bilinear');
    const worst = Math.max(...Array.from(bilinear, (v, i) => Math.abs(v - strong.pixels[i])));
    expect(worst).toBeGreaterThan(10);
  });

  it('is the identity at 1:1 and keeps each row of weights summing to 1', () => {
    const w = new Float32Array(5 * 9);
    pilBicubicWeights(2, 5, 5, 9, false, w);
    for (let k = 0; k < 5; k++) {
      const row = Array.from(w.subarray(k * 9, k * 9 + 9));
      expect(row.map((v) => Math.round(v * 1e6) / 1e6 + 0)).toEqual(row.map((_, x) => (x === 1 + 2 + k ? 1 : 0)));
    }
    const shrink = new Float32Array(3 * 20);
    pilBicubicWeights(0, 17, 3, 20, true, shrink);
    for (let k = 0; k < 3; k++) expect(shrink.subarray(k * 20, k * 20 + 20).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    // Taps stay inside the span (+ the one-pixel border) and never read the letterbox beyond it.
    expect(Array.from(shrink).every((v, i) => v === 0 || (i % 20 >= 1 && i % 20 < 18))).toBe(true);
  });
});
