/**
 * The dataset's decoded images, kept ready for batched cropping on the device.
 *
 * Images come in many sizes, but tensor shapes must stay fixed (the WebGPU buffer pool never
 * shrinks, so every new shape costs memory for the rest of the session). So every image lives on
 * one canvas of fixed size [Hc, Wc] = [max height + 2, max width + 2], placed at the top left
 * behind a one-pixel border. Pixels outside an image (the border and the letterbox area) repeat the
 * image's nearest edge pixel: a bilinear sample up to half a pixel outside the image then reads the
 * edge value, as PyTorch/PIL resizing does (they clamp source coordinates), instead of blending
 * in black. `augment.ts` turns crop rectangles into boxes on this canvas.
 *
 * When the whole stack fits the device budget it stays on the device as one float32 tensor
 * [N, Hc, Wc, 3] in 0..1 (built lazily, rebuilt after images are added or removed); otherwise
 * each step packs and uploads only its batch.
 */
import * as tf from '@tensorflow/tfjs';
import type { DatasetImage, ImagePixels } from '../shared/protocol';

/** Default device budget for the resident stack: 256 MiB of float32. */
const DEFAULT_DEVICE_BUDGET_BYTES = 256 * 2 ** 20;

/** Pixels of edge-replicated margin around each image on the canvas (see the file comment). */
export const CANVAS_BORDER = 1;

/** A batch of images on the device, ready for `tf.image.cropAndResize`. */
interface BatchSource {
  /** [B, Hc, Wc, 3] float32 in 0..1; row b holds image `indices[b]`, letterboxed. */
  images: tf.Tensor4D;
  /** [height, width] of each row's image (its valid region, which starts at CANVAS_BORDER). */
  validHW: [number, number][];
  /** Disposes `images`. The source owns `images`: call this once the crops are made. */
  dispose(): void;
}

/** Anything that can hand out batches of images for cropping (an ImageStore, a single image). */
export interface CropSource {
  sourceFor(indices: Int32Array): BatchSource;
}

function checkImage(img: ImagePixels, what: string): void {
  const { width: w, height: h, pixels } = img;
  if (!(Number.isInteger(w) && Number.isInteger(h) && w > 0 && h > 0)) {
    throw new Error(`${what}: width and height must be positive integers, got ${w}x${h}`);
  }
  if (pixels.length !== w * h * 3) {
    throw new Error(`${what}: expected ${w}x${h}x3 = ${w * h * 3} RGB bytes, got ${pixels.length}`);
  }
}

/** Canvas [Hc, Wc] that holds every image with its border. */
function canvasSizeFor(images: readonly ImagePixels[]): [number, number] {
  let h = 0;
  let w = 0;
  for (const img of images) {
    h = Math.max(h, img.height);
    w = Math.max(w, img.width);
  }
  return [h + 2 * CANVAS_BORDER, w + 2 * CANVAS_BORDER];
}

/**
 * Writes `img` (RGB bytes) into `out` at `offset` as a [canvasH, canvasW, 3] float32 block in 0..1:
 * the image at the top left after CANVAS_BORDER pixels, every other pixel a copy of the nearest
 * image pixel.
 */
export function letterbox(img: ImagePixels, canvasH: number, canvasW: number, out: Float32Array, offset = 0): void {
  const { width: w, height: h, pixels } = img;
  if (h + 2 * CANVAS_BORDER > canvasH || w + 2 * CANVAS_BORDER > canvasW) {
    throw new Error(`image ${w}x${h} does not fit the canvas ${canvasW}x${canvasH} with its border`);
  }
  for (let cy = 0; cy < canvasH; cy++) {
    const sy = Math.min(Math.max(cy - CANVAS_BORDER, 0), h - 1);
    for (let cx = 0; cx < canvasW; cx++) {
      const sx = Math.min(Math.max(cx - CANVAS_BORDER, 0), w - 1);
      const s = (sy * w + sx) * 3;
      const d = offset + (cy * canvasW + cx) * 3;
      out[d] = pixels[s] / 255;
      out[d + 1] = pixels[s + 1] / 255;
      out[d + 2] = pixels[s + 2] / 255;
    }
  }
}

/** Packs images into a new [n, Hc, Wc, 3] tensor (the caller owns it). */
function packImages(images: readonly ImagePixels[], canvas: [number, number]): tf.Tensor4D {
  const [ch, cw] = canvas;
  const block = ch * cw * 3;
  const data = new Float32Array(images.length * block);
  images.forEach((img, i) => letterbox(img, ch, cw, data, i * block));
  return tf.tensor4d(data, [images.length, ch, cw, 3]);
}

/** A single image as a CropSource (used by the augmentation preview). */
export function singleImageSource(image: ImagePixels): CropSource {
  checkImage(image, 'image');
  return {
    sourceFor(indices: Int32Array): BatchSource {
      for (const i of indices) if (i !== 0) throw new Error(`a single-image source has only index 0, got ${i}`);
      const list = Array.from(indices, () => image);
      const images = packImages(list, canvasSizeFor([image]));
      return { images, validHW: list.map(() => [image.height, image.width]), dispose: () => images.dispose() };
    },
  };
}

interface ImageStoreOptions {
  /** Largest resident stack in bytes (N * Hc * Wc * 3 * 4); above it batches are packed per step. */
  deviceBudgetBytes?: number;
}

export class ImageStore implements CropSource {
  readonly deviceBudgetBytes: number;
  private images: DatasetImage[] = [];
  private byId = new Map<string, number>();
  /** The resident stack [N, Hc, Wc, 3]; null when stale, empty or over budget. Owned here. */
  private stack: tf.Tensor4D | null = null;
  private canvasCache: [number, number] | null = null;

  constructor(options: ImageStoreOptions = {}) {
    this.deviceBudgetBytes = options.deviceBudgetBytes ?? DEFAULT_DEVICE_BUDGET_BYTES;
  }

  /** Adds images; one whose id is already present replaces the old one in place. */
  add(images: readonly DatasetImage[]): void {
    for (const img of images) {
      checkImage(img, `image ${img.id}`);
      const at = this.byId.get(img.id);
      if (at === undefined) {
        this.byId.set(img.id, this.images.length);
        this.images.push(img);
      } else {
        this.images[at] = img;
      }
    }
    this.invalidate();
  }

  /** Removes the images with these ids (unknown ids are ignored); returns how many were removed. */
  remove(ids: Iterable<string>): number {
    const drop = new Set(ids);
    const before = this.images.length;
    this.images = this.images.filter((img) => !drop.has(img.id));
    this.byId = new Map(this.images.map((img, i) => [img.id, i]));
    if (this.images.length !== before) this.invalidate();
    return before - this.images.length;
  }

  clear(): void {
    this.images = [];
    this.byId.clear();
    this.invalidate();
  }

  get count(): number {
    return this.images.length;
  }

  get ids(): string[] {
    return this.images.map((img) => img.id);
  }

  /** Label of each image in store order (null = unlabelled). */
  get labels(): (string | null)[] {
    return this.images.map((img) => img.label);
  }

  /** Number of images per label (unlabelled images are not counted). */
  labelCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { label } of this.images) if (label !== null) counts[label] = (counts[label] ?? 0) + 1;
    return counts;
  }

  image(index: number): DatasetImage {
    const img = this.images[index];
    if (!img) throw new Error(`image index ${index} out of range [0, ${this.images.length})`);
    return img;
  }

  /** [Hc, Wc]: the canvas every image is letterboxed into (border included). */
  get canvas(): [number, number] {
    this.canvasCache ??= canvasSizeFor(this.images);
    return this.canvasCache;
  }

  /** Bytes the whole stack takes on the device as float32. */
  get stackBytes(): number {
    const [ch, cw] = this.canvas;
    return this.images.length * ch * cw * 3 * 4;
  }

  /** Whether the whole stack is kept on the device (it fits the budget). */
  get resident(): boolean {
    return this.images.length > 0 && this.stackBytes <= this.deviceBudgetBytes;
  }

  /**
   * The images `indices` (repeats allowed) as a [B, Hc, Wc, 3] batch. The returned BatchSource
   * owns its tensor: call `dispose()` on it when done. Resident: gathered from the stack on the
   * device. Otherwise: letterboxed on the CPU and uploaded.
   */
  sourceFor(indices: Int32Array): BatchSource {
    if (indices.length === 0) throw new Error('sourceFor: no indices');
    const n = this.images.length;
    for (const i of indices) {
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new Error(`image index ${i} out of range [0, ${n})`);
    }
    const picked = Array.from(indices, (i) => this.images[i]);
    const validHW = picked.map((img): [number, number] => [img.height, img.width]);
    let images: tf.Tensor4D;
    if (this.resident) {
      const stack = this.residentStack();
      images = tf.tidy(() => tf.gather(stack, tf.tensor1d(indices, 'int32')));
    } else {
      images = packImages(picked, this.canvas);
    }
    return { images, validHW, dispose: () => images.dispose() };
  }

  /** Frees the resident stack; the CPU copies stay, so the store can still be used. */
  dispose(): void {
    this.stack?.dispose();
    this.stack = null;
  }

  private residentStack(): tf.Tensor4D {
    if (!this.stack) {
      // keep: sourceFor may be called inside a caller's tidy, which must not free the stack.
      this.stack = tf.keep(packImages(this.images, this.canvas));
    }
    return this.stack;
  }

  private invalidate(): void {
    this.canvasCache = null;
    this.dispose();
  }
}

/**
 * DatasetImages from grayscale bytes (N x height x width, row-major), each replicated to RGB
 * (PIL `convert('RGB')`), as the Fashion-MNIST demo files store them. `labels[i]` indexes `classes`.
 */
export function imagesFromGrayscale(
  gray: Uint8Array,
  labels: Uint8Array,
  classes: readonly string[],
  width: number,
  height: number,
  idPrefix: string,
): DatasetImage[] {
  const size = width * height;
  const n = labels.length;
  if (gray.length !== n * size) {
    throw new Error(`expected ${n} x ${height} x ${width} = ${n * size} bytes for ${n} labels, got ${gray.length}`);
  }
  const out: DatasetImage[] = [];
  for (let i = 0; i < n; i++) {
    const pixels = new Uint8Array(size * 3);
    for (let p = 0; p < size; p++) {
      const v = gray[i * size + p];
      pixels[3 * p] = v;
      pixels[3 * p + 1] = v;
      pixels[3 * p + 2] = v;
    }
    const label = classes[labels[i]];
    if (label === undefined) throw new Error(`label ${labels[i]} of image ${i} is not a class index`);
    out.push({ id: `${idPrefix}${i}`, label, width, height, pixels });
  }
  return out;
}
