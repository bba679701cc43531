/**
 * Image dimensions from the file header, before anything is decoded: a 1 MB PNG can declare
 * 20000 x 20000 pixels (1.6 GB once decoded to RGBA), so the size is checked first and such a
 * file is refused without a decode. Pure code (no DOM), for PNG, JPEG, GIF, BMP and WebP.
 */

/** Most pixels an imported image may have: 50 megapixels (a 48 MP phone photo fits), 200 MB as RGBA. */
export const MAX_IMAGE_PIXELS = 50_000_000;
/** Longest side, px: the largest canvas Chromium allocates. */
export const MAX_IMAGE_SIDE = 16_384;
/** Bytes read to find the size: JPEG metadata (EXIF, ICC) may come before the frame header. */
export const HEADER_BYTES = 1 << 20;

export interface ImageSize {
  width: number;
  height: number;
}

/** The image import's error: the file's size is unreadable or over the limits. `reason` is what
 *  the skipped-files list shows. */
export class ImageImportError extends Error {
  override name = 'ImageImportError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

const u16be = (b: Uint8Array, p: number) => (b[p] << 8) | b[p + 1];
const u16le = (b: Uint8Array, p: number) => b[p] | (b[p + 1] << 8);
const u24le = (b: Uint8Array, p: number) => b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
const u32be = (b: Uint8Array, p: number) => ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
const i32le = (b: Uint8Array, p: number) => b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24);
const ascii = (b: Uint8Array, p: number, n: number) => String.fromCharCode(...b.subarray(p, p + n));

function jpegSize(b: Uint8Array): ImageSize | null {
  let p = 2;
  while (p + 9 < b.length) {
    if (b[p] !== 0xff) return null;
    const marker = b[p + 1];
    if (marker === 0xff) {
      p++; // fill byte
      continue;
    }
    // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: u16be(b, p + 5), width: u16be(b, p + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
      p += 2; // markers without a length
      continue;
    }
    p += 2 + u16be(b, p + 2);
  }
  return null;
}

function webpSize(b: Uint8Array): ImageSize | null {
  const chunk = ascii(b, 12, 4);
  if (chunk === 'VP8X' && b.length >= 30) return { width: 1 + u24le(b, 24), height: 1 + u24le(b, 27) };
  if (chunk === 'VP8L' && b.length >= 25 && b[20] === 0x2f) {
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (chunk === 'VP8 ' && b.length >= 30 && b[23] === 0x9d && b[24] === 0x01 && b[25] === 0x2a) {
    return { width: u16le(b, 26) & 0x3fff, height: u16le(b, 28) & 0x3fff };
  }
  return null;
}

/** Width and height from the first bytes of a PNG, JPEG, GIF, BMP or WebP file; null when the
 *  bytes are none of these or are cut before the size. */
export function readImageSize(b: Uint8Array): ImageSize | null {
  if (b.length >= 24 && u32be(b, 0) === 0x89504e47 && ascii(b, 12, 4) === 'IHDR') {
    return { width: u32be(b, 16), height: u32be(b, 20) };
  }
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) return jpegSize(b);
  if (b.length >= 10 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) {
    return { width: u16le(b, 6), height: u16le(b, 8) };
  }
  if (b.length >= 26 && ascii(b, 0, 2) === 'BM') {
    if (u16le(b, 14) === 12) return { width: u16le(b, 18), height: u16le(b, 20) }; // OS/2 BITMAPCOREHEADER
    return { width: Math.abs(i32le(b, 18)), height: Math.abs(i32le(b, 22)) }; // negative height: top-down rows
  }
  if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return webpSize(b);
  return null;
}

/** Throws ImageImportError unless `size` is within MAX_IMAGE_PIXELS and MAX_IMAGE_SIDE. */
export function checkImageSize(size: ImageSize | null): ImageSize {
  if (!size || size.width < 1 || size.height < 1) throw new ImageImportError('could not be decoded (no PNG, JPEG, GIF, BMP or WebP header with its size)');
  const { width, height } = size;
  const mp = (width * height) / 1e6;
  if (width * height > MAX_IMAGE_PIXELS || Math.max(width, height) > MAX_IMAGE_SIDE) {
    throw new ImageImportError(
      `too large: ${width} x ${height} px (${mp.toFixed(1)} MP); the limit is ${MAX_IMAGE_PIXELS / 1e6} MP and ${MAX_IMAGE_SIDE} px a side`,
    );
  }
  return size;
}
