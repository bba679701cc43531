import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultAugment } from '../shared/config';
import type { ImagePixels } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { P0, P1, expectClose, planes } from '../test-support/augment';
import { augmentCrops, normalize } from './augment';
import { gaussianBlur, solarizeWhere } from './augment-blur-solarize';
import { adjustContrast, adjustHue, colorJitter, grayscaleWhere } from './augment-color';
import { drawCropParams, plainCrop, type CropParams, type CropRect, type JitterParams } from './augment-params';
import { ImageStore, singleImageSource } from './image-store';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('augmentCrops: the whole per-crop pipeline', () => {
  /** A 6 x 6 image with distinct colours everywhere. */
  const img: ImagePixels = {
    width: 6,
    height: 6,
    pixels: Uint8Array.from({ length: 108 }, (_, i) => (i * 37 + 11) % 256),
  };
  const px = (y: number, x: number, c: number): number => img.pixels[(y * 6 + x) * 3 + c] / 255;
  const full: CropRect = { top: 0, left: 0, height: 6, width: 6 };

  /** Runs augmentCrops on `img` for each params; returns NCHW data. */
  function run(params: CropParams[], size: number, image: ImagePixels = img): Float32Array {
    const src = singleImageSource(image).sourceFor(new Int32Array([0]));
    const y = augmentCrops(src.images, new Int32Array(params.length), params, size, 2);
    const out = y.dataSync() as Float32Array;
    tf.dispose([y]);
    src.dispose();
    return out;
  }
  const at = (data: Float32Array, size: number, i: number, c: number, y: number, x: number): number =>
    data[((i * 3 + c) * size + y) * size + x];

  it('reproduces the image for the full crop at its own size, and mirrors it when flipped', () => {
    const out = run([plainCrop(full), { ...plainCrop(full), flip: true }], 6);
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 6; y++) {
        for (let x = 0; x < 6; x++) {
          expect(at(out, 6, 0, c, y, x)).toBeCloseTo(px(y, x, c), 5);
          expect(at(out, 6, 1, c, y, x)).toBeCloseTo(px(y, 5 - x, c), 5);
        }
      }
    }
  });

  it('downsamples a sub-rectangle like align_corners=False resizing', () => {
    // Rows 1..4, columns 2..5 to 2 x 2: output (k, l) samples (1.5 + 2k, 2.5 + 2l), the mean of a 2 x 2 block.
    const out = run([plainCrop({ top: 1, left: 2, height: 4, width: 4 })], 2);
    for (let c = 0; c < 3; c++) {
      for (let k = 0; k < 2; k++) {
        for (let l = 0; l < 2; l++) {
          const [y, x] = [1 + 2 * k, 2 + 2 * l];
          const mean = (px(y, x, c) + px(y + 1, x, c) + px(y, x + 1, c) + px(y + 1, x + 1, c)) / 4;
          expect(at(out, 2, 0, c, k, l)).toBeCloseTo(mean, 5);
        }
      }
    }
  });

  it('upsamples with edge clamping inside a larger letterbox canvas (no black bleeding in)', async () => {
    // A 2 x 2 image stored next to a bigger one; upsampled to 4 x 4 like PyTorch bilinear
    // (align_corners=False): source coordinate (k + 0.5) / 2 - 0.5, clamped to [0, 1].
    const small = { id: 's', label: null, width: 2, height: 2, pixels: Uint8Array.from([0, 0, 0, 40, 40, 40, 80, 80, 80, 200, 200, 200]) };
    const store = new ImageStore();
    store.add([{ id: 'big', label: null, width: 9, height: 7, pixels: new Uint8Array(9 * 7 * 3) }, small]);
    const src = store.sourceFor(new Int32Array([1]));
    const y = augmentCrops(src.images, new Int32Array([0]), [plainCrop({ top: 0, left: 0, height: 2, width: 2 })], 4, 2);
    const out = (await y.data()) as Float32Array;
    tf.dispose([y]);
    src.dispose();
    store.dispose();
    const coord = (k: number): number => Math.min(Math.max((k + 0.5) / 2 - 0.5, 0), 1);
    const v = [
      [0, 40],
      [80, 200],
    ];
    for (let k = 0; k < 4; k++) {
      for (let l = 0; l < 4; l++) {
        const [fy, fx] = [coord(k), coord(l)];
        const top = v[0][0] * (1 - fx) + v[0][1] * fx;
        const bottom = v[1][0] * (1 - fx) + v[1][1] * fx;
        expect(at(out, 4, 0, 0, k, l)).toBeCloseTo((top * (1 - fy) + bottom * fy) / 255, 5);
      }
    }
  });

  it('applies jitter, grayscale, blur and solarization in the official order', () => {
    const jitter: JitterParams = { order: [3, 0, 2, 1], brightness: 1.3, contrast: 0.8, saturation: 1.5, hue: 0.2 };
    const p: CropParams = { rect: full, flip: true, jitter, grayscale: true, blurSigma: 0.8, solarize: true };
    const out = run([p, plainCrop(full)], 6);
    // Reference: the same steps one by one with the exported ops.
    const ref = tf.tidy(() => {
      const src = singleImageSource(img).sourceFor(new Int32Array([0]));
      const crop = tf.image.flipLeftRight(src.images.slice([0, 1, 1, 0], [1, 6, 6, 3]));
      let x = crop.transpose([3, 0, 1, 2]) as tf.Tensor4D;
      x = colorJitter(x, [jitter]);
      x = grayscaleWhere(x, [1]);
      let y = x.transpose([1, 0, 2, 3]) as tf.Tensor4D;
      y = gaussianBlur(y, [0.8], 6);
      return solarizeWhere(y, [1]);
    });
    expectClose(out.slice(0, 108), ref.dataSync(), 1e-5);
    ref.dispose();
    // Grayscale came before blur and solarization, so the three channels still agree.
    for (let i = 0; i < 36; i++) {
      expect(out[i]).toBeCloseTo(out[36 + i], 5);
      expect(out[i]).toBeCloseTo(out[72 + i], 5);
    }
  });

  it('checks shapes and box indices', () => {
    const src = singleImageSource(img).sourceFor(new Int32Array([0, 0]));
    // Box index 1 < 2 images but not < 1 crop: tfjs-webgpu would leave that crop unwritten.
    expect(() => augmentCrops(src.images, new Int32Array([1]), [plainCrop(full)], 4, 2)).toThrow(/box index 1/);
    expect(() => augmentCrops(src.images, new Int32Array([0, 0]), [plainCrop(full)], 4, 2)).toThrow(/2 box indices for 1/);
    expect(() => tf.tidy(() => adjustHue(tf.zeros([2, 3, 4, 4]) as tf.Tensor4D, [0, 0]))).toThrow(/planes \[3, N, H, W\]/);
    src.dispose();
  });

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors;
    const rng = new Rng(5);
    const params = Array.from({ length: 12 }, (_, i) =>
      drawCropParams(rng, (['global1', 'global2', 'local'] as const)[i % 3], 6, 6, { ...defaultAugment, solarizeP: 0.5 }),
    );
    run(params, 8);
    const x = planes([[P0, P1]]);
    tf.dispose([adjustHue(x, [0.1]), adjustContrast(x, [1.2]), colorJitter(x, [null]), grayscaleWhere(x, [0])]);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('normalize', () => {
  it('normalises per channel', () => {
    const x = tf.tensor4d([0.485, 1, 0], [1, 3, 1, 1]);
    const y = normalize(x, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    expectClose(y.dataSync(), [0, (1 - 0.456) / 0.224, -0.406 / 0.225]);
    tf.dispose([x, y]);
  });
});
