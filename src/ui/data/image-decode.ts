/**
 * Decoding images on the main thread without blocking it: createImageBitmap decodes off-thread,
 * one OffscreenCanvas draw downscales (longer side at most MAX_SIDE, aspect kept), and the alpha
 * channel is dropped to give the RGB bytes the protocol carries. The size is read from the file
 * header first (image-header.ts: too large an image is refused without a decode), and decodes
 * share a DecodeLimiter (decode-limit.ts).
 */
import type { ImagePixels } from '../../shared/protocol';
import { DecodeLimiter } from './decode-limit';
import { HEADER_BYTES, checkImageSize, readImageSize } from './image-header';

/** Longer side of a dataset image after import, px. Larger crops than this are upsampled. */
export const MAX_SIDE = 256;
/** Longer side of gallery thumbnails, px. */
export const THUMB_SIDE = 96;

/** Size that fits (w, h) within maxSide on its longer side, aspect kept, never upscaling. */
export function fitWithin(width: number, height: number, maxSide: number): [number, number] {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/** RGBA -> RGB (alpha dropped). */
export function rgbaToRgb(rgba: Uint8ClampedArray | Uint8Array): Uint8Array {
  const n = rgba.length / 4;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = rgba[i * 4];
    out[i * 3 + 1] = rgba[i * 4 + 1];
    out[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return out;
}

/** RGB -> opaque RGBA. */
export function rgbToRgba(rgb: Uint8Array): Uint8ClampedArray<ArrayBuffer> {
  const n = rgb.length / 3;
  const out = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = rgb[i * 3];
    out[i * 4 + 1] = rgb[i * 3 + 1];
    out[i * 4 + 2] = rgb[i * 3 + 2];
    out[i * 4 + 3] = 255;
  }
  return out;
}

export interface Decoded extends ImagePixels {
  thumb: Blob;
}

function context(canvas: OffscreenCanvas): OffscreenCanvasRenderingContext2D {
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('2D canvas unavailable');
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  return ctx;
}

const limiter = new DecodeLimiter();

/** Decode (first frame of a GIF), downscale and return RGB bytes plus a thumbnail. Throws an
 *  ImageImportError when the header's size is unreadable or over the limits, and the browser's
 *  error when it cannot decode the bytes. */
export async function decodeImage(blob: Blob, maxSide = MAX_SIDE): Promise<Decoded> {
  const { width, height } = checkImageSize(readImageSize(new Uint8Array(await blob.slice(0, HEADER_BYTES).arrayBuffer())));
  return limiter.run(width * height, () => decodeWithin(blob, maxSide));
}

async function decodeWithin(blob: Blob, maxSide: number): Promise<Decoded> {
  const bitmap = await createImageBitmap(blob);
  try {
    const [width, height] = fitWithin(bitmap.width, bitmap.height, maxSide);
    const canvas = new OffscreenCanvas(width, height);
    const ctx = context(canvas);
    ctx.drawImage(bitmap, 0, 0, width, height);
    const pixels = rgbaToRgb(ctx.getImageData(0, 0, width, height).data);
    return { width, height, pixels, thumb: await thumbnail(canvas) };
  } finally {
    bitmap.close();
  }
}

/** Thumbnail of RGB pixels (for images made from raw bytes, like Fashion-MNIST). */
export async function thumbnailOfPixels(image: ImagePixels): Promise<Blob> {
  return thumbnail(pixelsToCanvas(image));
}

export function pixelsToCanvas({ width, height, pixels }: ImagePixels): OffscreenCanvas {
  const canvas = new OffscreenCanvas(width, height);
  context(canvas).putImageData(new ImageData(rgbToRgba(pixels), width, height), 0, 0);
  return canvas;
}

/** Small images stay pixel-exact PNGs (CSS scales them up crisply); photos become JPEGs. */
async function thumbnail(source: OffscreenCanvas): Promise<Blob> {
  const [w, h] = fitWithin(source.width, source.height, THUMB_SIDE);
  if (w === source.width && h === source.height && Math.max(w, h) <= 64) return source.convertToBlob({ type: 'image/png' });
  const canvas = new OffscreenCanvas(w, h);
  context(canvas).drawImage(source, 0, 0, w, h);
  return canvas.convertToBlob({ type: 'image/jpeg', quality: 0.85 });
}
