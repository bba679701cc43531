import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ImageImportError, MAX_IMAGE_PIXELS, checkImageSize, readImageSize } from './image-header';

const SAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../public/samples');

/** The first bytes of a PNG declaring `w` x `h` (no pixel data needed to read the size). */
function pngHeader(w: number, h: number): Uint8Array {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(b.buffer).setUint32(16, w);
  new DataView(b.buffer).setUint32(20, h);
  return b;
}

describe('readImageSize', () => {
  it('reads the sample photos (PNG and a JPEG with EXIF before its frame header)', () => {
    expect(readImageSize(new Uint8Array(readFileSync(path.join(SAMPLES, 'chelsea.png'))))).toEqual({ width: 451, height: 300 });
    const jpeg = readImageSize(new Uint8Array(readFileSync(path.join(SAMPLES, 'rocket.jpg'))));
    expect(jpeg).toEqual({ width: 640, height: 427 });
  });

  it('reads GIF, BMP (top-down too) and the three WebP kinds', () => {
    const gif = new Uint8Array([...new TextEncoder().encode('GIF89a'), 0x20, 0x03, 0x58, 0x02]);
    expect(readImageSize(gif)).toEqual({ width: 800, height: 600 });
    const bmp = new Uint8Array(54);
    bmp.set([0x42, 0x4d]);
    const v = new DataView(bmp.buffer);
    v.setUint16(14, 40, true);
    v.setInt32(18, 30000, true);
    v.setInt32(22, -20000, true);
    expect(readImageSize(bmp)).toEqual({ width: 30000, height: 20000 });
    const riff = (chunk: string, body: number[]) => new Uint8Array([...new TextEncoder().encode(`RIFF\0\0\0\0WEBP${chunk}\0\0\0\0`), ...body]);
    expect(readImageSize(riff('VP8X', [0, 0, 0, 0, 0x1f, 0x4e, 0x00, 0x1f, 0x4e, 0x00]))).toEqual({ width: 20000, height: 20000 });
    const bits = (640 - 1) | ((480 - 1) << 14);
    expect(readImageSize(riff('VP8L', [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, (bits >>> 24) & 0xff]))).toEqual({ width: 640, height: 480 });
    expect(readImageSize(riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01]))).toEqual({ width: 640, height: 480 });
  });

  it('reads a JPEG frame header behind a large metadata segment', () => {
    const app1 = new Uint8Array(4 + 60000);
    app1.set([0xff, 0xe1, (60002 >> 8) & 0xff, 60002 & 0xff]);
    const sof = [0xff, 0xc2, 0, 17, 8, 0x4e, 0x20, 0x4e, 0x20, 3];
    const jpeg = new Uint8Array([0xff, 0xd8, ...app1, ...sof]);
    expect(readImageSize(jpeg)).toEqual({ width: 20000, height: 20000 });
  });

  it('gives null for other bytes and for headers cut short', () => {
    expect(readImageSize(new TextEncoder().encode('hello, not an image at all'))).toBeNull();
    expect(readImageSize(pngHeader(10, 10).subarray(0, 20))).toBeNull();
    expect(readImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]))).toBeNull();
  });
});

describe('checkImageSize', () => {
  it('refuses a 20000 x 20000 PNG from its header alone, naming the size and the limit', () => {
    const size = readImageSize(pngHeader(20000, 20000));
    expect(() => checkImageSize(size)).toThrow(ImageImportError);
    expect(() => checkImageSize(size)).toThrow('too large: 20000 x 20000 px (400.0 MP); the limit is 50 MP and 16384 px a side');
  });

  it('accepts up to the limits and refuses beyond either', () => {
    expect(checkImageSize({ width: 8000, height: 6000 })).toEqual({ width: 8000, height: 6000 });
    expect(() => checkImageSize({ width: 10000, height: MAX_IMAGE_PIXELS / 10000 + 1 })).toThrow(/too large/);
    expect(() => checkImageSize({ width: 16385, height: 10 })).toThrow(/16384 px a side/);
    expect(() => checkImageSize(null)).toThrow('could not be decoded (no PNG, JPEG, GIF, BMP or WebP header with its size)');
    expect(() => checkImageSize({ width: 0, height: 5 })).toThrow(/could not be decoded/);
  });
});
