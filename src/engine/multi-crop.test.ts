import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultAugment, type AugmentConfig } from '../shared/config';
import type { DatasetImage } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { augmentCrops, cropResizeOf, normalize } from './augment';
import { ImageStore } from './image-store';
import { AUGMENT_CHUNK, drawMultiCropParams, multiCrop, previewCrops } from './multi-crop';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Small crops so the tests run fast on the cpu backend. */
const cfg: AugmentConfig = { ...defaultAugment, globalSize: 8, localSize: 4, nLocalCrops: 3, blurSigma: [0.1, 1] };

/** No colour changes at all: every crop of a constant image is that constant. */
const geometryOnly: AugmentConfig = { ...cfg, jitterP: 0, grayscaleP: 0, solarizeP: 0 };

function constantImage(id: string, height: number, width: number, rgb: number[]): DatasetImage {
  const pixels = new Uint8Array(height * width * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rgb[i % 3];
  return { id, label: null, width, height, pixels };
}

function texturedImage(id: string, height: number, width: number, seed: number): DatasetImage {
  const pixels = Uint8Array.from({ length: height * width * 3 }, (_, i) => (i * 31 + seed * 17 + ((i * i) % 7) * 13) % 256);
  return { id, label: null, width, height, pixels };
}

const COLOURS = [
  [10, 20, 30],
  [200, 100, 50],
  [0, 255, 128],
];

/** Three constant images of different sizes (so the letterbox matters). */
function colourStore(options = {}): ImageStore {
  const store = new ImageStore(options);
  store.add([constantImage('a', 12, 9, COLOURS[0]), constantImage('b', 7, 15, COLOURS[1]), constantImage('c', 10, 10, COLOURS[2])]);
  return store;
}

/** Checks that crop row r of NCHW `data` is the constant `rgb` (bytes), normalised. */
function expectRowConstant(data: Float32Array, size: number, row: number, rgb: number[], tol = 1e-4): void {
  for (let c = 0; c < 3; c++) {
    const want = (rgb[c] / 255 - cfg.mean[c]) / cfg.std[c];
    for (let p = 0; p < size * size; p++) {
      const got = data[(row * 3 + c) * size * size + p];
      if (!(Math.abs(got - want) <= tol)) throw new Error(`row ${row} channel ${c}: got ${got}, expected ${want}`);
    }
  }
}

describe('multiCrop', () => {
  it('returns normalised NCHW crops, crop-major', async () => {
    const store = colourStore();
    const indices = Int32Array.from([2, 0, 1, 0]);
    const { globals, locals } = multiCrop(store, indices, geometryOnly, new Rng(1));
    expect(globals.shape).toEqual([2 * 4, 3, 8, 8]);
    expect(locals!.shape).toEqual([3 * 4, 3, 4, 4]);
    const g = (await globals.data()) as Float32Array;
    const l = (await locals!.data()) as Float32Array;
    // Row c * B + b is crop c of image indices[b].
    for (let c = 0; c < 2; c++) indices.forEach((img, b) => expectRowConstant(g, 8, c * 4 + b, COLOURS[img]));
    for (let c = 0; c < 3; c++) indices.forEach((img, b) => expectRowConstant(l, 4, c * 4 + b, COLOURS[img]));
    tf.dispose([globals, locals!]);
    store.dispose();
  });

  it('returns null locals without local crops', () => {
    const store = colourStore();
    const { globals, locals } = multiCrop(store, Int32Array.from([0, 1]), { ...cfg, nLocalCrops: 0 }, new Rng(1));
    expect(globals.shape).toEqual([4, 3, 8, 8]);
    expect(locals).toBeNull();
    globals.dispose();
    store.dispose();
  });

  it('is deterministic for a seed, different across seeds, and the same resident or packed', async () => {
    const imgs = [texturedImage('a', 20, 16, 1), texturedImage('b', 13, 21, 2)];
    const resident = new ImageStore();
    const packed = new ImageStore({ deviceBudgetBytes: 0 });
    resident.add(imgs);
    packed.add(imgs);
    const run = async (store: ImageStore, seed: number): Promise<Float32Array[]> => {
      const { globals, locals } = multiCrop(store, Int32Array.from([1, 0]), cfg, new Rng(seed));
      const out = [(await globals.data()) as Float32Array, (await locals!.data()) as Float32Array];
      tf.dispose([globals, locals!]);
      return out;
    };
    const a = await run(resident, 7);
    const b = await run(resident, 7);
    const c = await run(packed, 7);
    const d = await run(resident, 8);
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    const diff = a[0].reduce((m, v, i) => Math.max(m, Math.abs(v - d[0][i])), 0);
    expect(diff).toBeGreaterThan(0.1);
    resident.dispose();
  });

  it('draws its parameters as drawMultiCropParams documents', async () => {
    const store = colourStore();
    store.add([texturedImage('t', 16, 16, 3)]);
    const indices = Int32Array.from([3, 1]);
    const rng = new Rng(21);
    const { globals, locals } = multiCrop(store, indices, cfg, rng);
    const after = rng.state();
    // Same seed by hand: draw, then crop global crops from a packed batch.
    const manualRng = new Rng(21);
    const params = drawMultiCropParams(
      [
        [16, 16],
        [7, 15],
      ],
      cfg,
      manualRng,
    );
    expect(manualRng.state()).toEqual(after);
    expect(params.globals).toHaveLength(4);
    expect(params.locals).toHaveLength(6);
    const src = store.sourceFor(indices);
    const manual = tf.tidy(() =>
      normalize(augmentCrops(src.images, Int32Array.from([0, 1, 0, 1]), params.globals, 8, 1, cropResizeOf(cfg)), cfg.mean, cfg.std),
    );
    expect(await globals.data()).toEqual(await manual.data());
    tf.dispose([globals, locals!, manual]);
    src.dispose();
    store.dispose();
  });

  it(`makes crops ${AUGMENT_CHUNK} at a time with the same values as all at once`, async () => {
    const store = new ImageStore();
    store.add(Array.from({ length: 12 }, (_, i) => texturedImage(`t${i}`, 10 + i, 16 - (i % 4), i)));
    const indices = Int32Array.from({ length: 12 }, (_, i) => 11 - i);
    const { globals, locals } = multiCrop(store, indices, cfg, new Rng(5));
    expect(globals.shape[0]).toBeGreaterThan(AUGMENT_CHUNK);
    const src = store.sourceFor(indices);
    const params = drawMultiCropParams(src.validHW, cfg, new Rng(5));
    const rows = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 12);
    const [g, l] = tf.tidy(() => [
      normalize(augmentCrops(src.images, rows(params.globals.length), params.globals, cfg.globalSize, cfg.blurSigma[1], cropResizeOf(cfg)), cfg.mean, cfg.std),
      normalize(augmentCrops(src.images, rows(params.locals.length), params.locals, cfg.localSize, cfg.blurSigma[1], cropResizeOf(cfg)), cfg.mean, cfg.std),
    ]);
    expect(await globals.data()).toEqual(await g.data());
    expect(await locals!.data()).toEqual(await l.data());
    tf.dispose([globals, locals!, g, l]);
    src.dispose();
    store.dispose();
  });

  it('solarizes only the second global crop', async () => {
    const store = new ImageStore();
    store.add([constantImage('w', 9, 9, [200, 220, 240])]); // every channel >= 128
    const { globals, locals } = multiCrop(store, Int32Array.from([0, 0]), { ...geometryOnly, solarizeP: 1 }, new Rng(2));
    const g = (await globals.data()) as Float32Array;
    const l = (await locals!.data()) as Float32Array;
    const inverted = [55, 35, 15];
    expectRowConstant(g, 8, 0, [200, 220, 240]);
    expectRowConstant(g, 8, 1, [200, 220, 240]);
    expectRowConstant(g, 8, 2, inverted);
    expectRowConstant(g, 8, 3, inverted);
    for (let r = 0; r < 6; r++) expectRowConstant(l, 4, r, [200, 220, 240]);
    tf.dispose([globals, locals!]);
    store.dispose();
  });

  it('turns every crop gray with grayscaleP = 1', async () => {
    const store = new ImageStore();
    store.add([texturedImage('t', 14, 11, 5)]);
    const { globals, locals } = multiCrop(store, Int32Array.from([0]), { ...cfg, grayscaleP: 1 }, new Rng(4));
    for (const [x, s] of [
      [globals, 8],
      [locals!, 4],
    ] as const) {
      const d = (await x.data()) as Float32Array;
      const plane = s * s;
      for (let r = 0; r < x.shape[0]; r++) {
        for (let p = 0; p < plane; p++) {
          const [R, G, B] = [0, 1, 2].map((c) => d[(r * 3 + c) * plane + p] * cfg.std[c] + cfg.mean[c]);
          expect(G).toBeCloseTo(R, 5);
          expect(B).toBeCloseTo(R, 5);
        }
      }
    }
    tf.dispose([globals, locals!]);
    store.dispose();
  });

  it('does not leak tensors', () => {
    const store = colourStore();
    store.sourceFor(Int32Array.from([0])).dispose(); // the resident stack is the store's own
    const before = tf.memory().numTensors;
    for (let seed = 0; seed < 3; seed++) {
      const { globals, locals } = multiCrop(store, Int32Array.from([0, 1, 2]), cfg, new Rng(seed));
      tf.dispose([globals, locals!]);
    }
    expect(tf.memory().numTensors).toBe(before);
    store.dispose();
  });
});

describe('previewCrops', () => {
  const image = texturedImage('p', 30, 40, 4);

  it('returns un-normalised RGB bytes, global crops first', async () => {
    const before = tf.memory().numTensors;
    const preview = await previewCrops(image, cfg, new Rng(3));
    expect(tf.memory().numTensors).toBe(before);
    expect(preview.kinds).toEqual(['global', 'global', 'local', 'local', 'local']);
    expect(preview.crops.map((c) => [c.width, c.height, c.pixels.length])).toEqual([
      [8, 8, 192],
      [8, 8, 192],
      [4, 4, 48],
      [4, 4, 48],
      [4, 4, 48],
    ]);
    expect(preview.params).toHaveLength(5);
    const again = await previewCrops(image, cfg, new Rng(3));
    expect(again.crops).toEqual(preview.crops);
  });

  it('shows the image colours when nothing but the crop applies', async () => {
    const preview = await previewCrops(constantImage('c', 10, 13, [12, 130, 250]), geometryOnly, new Rng(9));
    for (const crop of preview.crops) {
      for (let p = 0; p < crop.pixels.length; p += 3) expect(Array.from(crop.pixels.slice(p, p + 3))).toEqual([12, 130, 250]);
    }
  });
});
