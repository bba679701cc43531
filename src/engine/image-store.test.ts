import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetImage } from '../shared/protocol';
import { CANVAS_BORDER, ImageStore, imagesFromGrayscale, letterbox, singleImageSource } from './image-store';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** An image whose pixel (y, x) channel c has the byte (seed + 10 y + x + 100 c) % 256. */
function image(id: string, height: number, width: number, seed: number, label: string | null = null): DatasetImage {
  const pixels = new Uint8Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = (seed + 10 * y + x + 100 * c) % 256;
    }
  }
  return { id, label, width, height, pixels };
}

/** Canvas value expected at (cy, cx, c) for `img`: the nearest image pixel, in 0..1. */
function expectedCanvas(img: DatasetImage, cy: number, cx: number, c: number): number {
  const y = Math.min(Math.max(cy - CANVAS_BORDER, 0), img.height - 1);
  const x = Math.min(Math.max(cx - CANVAS_BORDER, 0), img.width - 1);
  return img.pixels[(y * img.width + x) * 3 + c] / 255;
}

describe('ImageStore bookkeeping', () => {
  it('adds, replaces by id, removes, and reports labels', () => {
    const store = new ImageStore();
    store.add([image('a', 4, 5, 0, 'cat'), image('b', 6, 3, 1, 'dog'), image('c', 2, 2, 2, null)]);
    expect(store.count).toBe(3);
    expect(store.ids).toEqual(['a', 'b', 'c']);
    expect(store.labels).toEqual(['cat', 'dog', null]);
    expect(store.labelCounts()).toEqual({ cat: 1, dog: 1 });
    expect(store.canvas).toEqual([6 + 2 * CANVAS_BORDER, 5 + 2 * CANVAS_BORDER]);

    store.add([image('b', 3, 3, 7, 'cat')]); // same id: replaced in place
    expect(store.ids).toEqual(['a', 'b', 'c']);
    expect(store.labelCounts()).toEqual({ cat: 2 });
    expect(store.canvas).toEqual([4 + 2, 5 + 2]);

    expect(store.remove(['a', 'zzz'])).toBe(1);
    expect(store.ids).toEqual(['b', 'c']);
    expect(store.image(0).id).toBe('b');
    expect(store.canvas).toEqual([3 + 2, 3 + 2]);
    store.clear();
    expect(store.count).toBe(0);
    expect(store.resident).toBe(false);
  });

  it('rejects malformed images and bad indices', () => {
    const store = new ImageStore();
    expect(() => store.add([{ id: 'x', label: null, width: 2, height: 2, pixels: new Uint8Array(11) }])).toThrow(/12 RGB bytes/);
    store.add([image('a', 2, 2, 0)]);
    expect(() => store.sourceFor(new Int32Array([1]))).toThrow(/out of range/);
    expect(() => store.image(3)).toThrow(/out of range/);
  });

  it('decides residency from the device budget', () => {
    const imgs = [image('a', 8, 8, 0), image('b', 8, 8, 1)];
    const bytes = 2 * 10 * 10 * 3 * 4;
    const fits = new ImageStore({ deviceBudgetBytes: bytes });
    fits.add(imgs);
    expect(fits.stackBytes).toBe(bytes);
    expect(fits.resident).toBe(true);
    const over = new ImageStore({ deviceBudgetBytes: bytes - 1 });
    over.add(imgs);
    expect(over.resident).toBe(false);
  });
});

describe('letterbox', () => {
  it('puts the image at the top left after the border and repeats edge pixels elsewhere', () => {
    const img = image('a', 3, 2, 5);
    const [ch, cw] = [6, 7];
    const out = new Float32Array(ch * cw * 3).fill(-1);
    letterbox(img, ch, cw, out);
    for (let cy = 0; cy < ch; cy++) {
      for (let cx = 0; cx < cw; cx++) {
        for (let c = 0; c < 3; c++) expect(out[(cy * cw + cx) * 3 + c]).toBeCloseTo(expectedCanvas(img, cy, cx, c), 7);
      }
    }
    // Spot checks by hand: canvas (1, 1) is pixel (0, 0); (0, 0) repeats it; (5, 6) repeats pixel (2, 1).
    expect(out[(1 * cw + 1) * 3]).toBeCloseTo(5 / 255, 7);
    expect(out[0]).toBeCloseTo(5 / 255, 7);
    expect(out[(5 * cw + 6) * 3 + 2]).toBeCloseTo((5 + 20 + 1 + 200) / 255, 7);
  });

  it('refuses a canvas without room for the border', () => {
    expect(() => letterbox(image('a', 3, 3, 0), 4, 5, new Float32Array(60))).toThrow(/does not fit/);
  });
});

describe('ImageStore.sourceFor', () => {
  const imgs = [image('a', 5, 3, 0), image('b', 2, 6, 40), image('c', 4, 4, 80)];

  async function checkBatch(store: ImageStore, indices: number[]): Promise<void> {
    const src = store.sourceFor(Int32Array.from(indices));
    const [ch, cw] = store.canvas;
    expect(src.images.shape).toEqual([indices.length, ch, cw, 3]);
    expect(src.validHW).toEqual(indices.map((i) => [imgs[i].height, imgs[i].width]));
    const data = await src.images.data();
    indices.forEach((i, row) => {
      for (let cy = 0; cy < ch; cy++) {
        for (let cx = 0; cx < cw; cx++) {
          for (let c = 0; c < 3; c++) {
            const got = data[((row * ch + cy) * cw + cx) * 3 + c];
            expect(Math.abs(got - expectedCanvas(imgs[i], cy, cx, c))).toBeLessThan(1e-6);
          }
        }
      }
    });
    src.dispose();
  }

  it('returns the requested rows, letterboxed, in resident and packed mode alike', async () => {
    const resident = new ImageStore();
    const packed = new ImageStore({ deviceBudgetBytes: 0 });
    resident.add(imgs);
    packed.add(imgs);
    expect(resident.resident).toBe(true);
    expect(packed.resident).toBe(false);
    for (const store of [resident, packed]) await checkBatch(store, [2, 0, 2, 1]);
    resident.dispose();
  });

  it('rebuilds the resident stack when images are added', async () => {
    const store = new ImageStore();
    store.add(imgs.slice(0, 2));
    store.sourceFor(new Int32Array([0])).dispose(); // builds the stack
    const bigger = image('d', 9, 2, 3);
    store.add([bigger]);
    const src = store.sourceFor(new Int32Array([2, 0]));
    expect(src.images.shape).toEqual([2, 9 + 2, 6 + 2, 3]);
    const data = await src.images.data();
    expect(data[(1 * 8 + 1) * 3]).toBeCloseTo(bigger.pixels[0] / 255, 6);
    src.dispose();
    store.dispose();
  });

  it('keeps the resident stack alive when called inside a tidy, and does not leak', () => {
    const before = tf.memory().numTensors;
    const store = new ImageStore();
    store.add(imgs);
    const sum1 = tf.tidy(() => store.sourceFor(new Int32Array([0, 1])).images.sum().dataSync()[0]);
    const sum2 = tf.tidy(() => store.sourceFor(new Int32Array([0, 1])).images.sum().dataSync()[0]);
    expect(sum2).toBe(sum1);
    const src = store.sourceFor(new Int32Array([1]));
    src.dispose();
    src.dispose(); // disposing twice is harmless
    store.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('serves a single image through singleImageSource', async () => {
    const img = image('a', 3, 4, 9);
    const src = singleImageSource(img).sourceFor(new Int32Array([0, 0]));
    expect(src.images.shape).toEqual([2, 5, 6, 3]);
    expect(src.validHW).toEqual([
      [3, 4],
      [3, 4],
    ]);
    src.dispose();
    expect(() => singleImageSource(img).sourceFor(new Int32Array([1]))).toThrow(/only index 0/);
  });
});

describe('imagesFromGrayscale', () => {
  it('replicates gray bytes to RGB and names the labels', () => {
    const gray = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    const out = imagesFromGrayscale(gray, Uint8Array.from([1, 0]), ['zero', 'one'], 2, 2, 'fm-');
    expect(out.map((d) => [d.id, d.label, d.width, d.height])).toEqual([
      ['fm-0', 'one', 2, 2],
      ['fm-1', 'zero', 2, 2],
    ]);
    expect(Array.from(out[1].pixels)).toEqual([5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8]);
    expect(() => imagesFromGrayscale(gray, Uint8Array.from([1]), ['a', 'b'], 2, 2, '')).toThrow(/bytes/);
    expect(() => imagesFromGrayscale(gray, Uint8Array.from([0, 5]), ['a'], 2, 2, '')).toThrow(/class index/);
  });
});
