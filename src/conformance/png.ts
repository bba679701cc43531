/**
 * A small PNG decoder for the conformance photos (Node has no image decoder): 8-bit greyscale,
 * RGB, palette, grey+alpha and RGBA, not interlaced. Returns RGB bytes as PIL's convert('RGB')
 * gives them (alpha dropped, grey replicated, palette looked up).
 */
import { unzlibSync } from 'fflate';

export interface RgbImage {
  width: number;
  height: number;
  /** HWC RGB bytes. */
  pixels: Uint8Array;
}

const SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

export function isPng(bytes: Uint8Array): boolean {
  return SIGNATURE.every((b, i) => bytes[i] === b);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(bytes: Uint8Array): RgbImage {
  if (!isPng(bytes)) throw new Error('png: not a PNG file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0;
  let height = 0;
  let colorType = -1;
  let palette: Uint8Array | null = null;
  const idat: Uint8Array[] = [];
  while (pos + 8 <= bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      const depth = data[8];
      colorType = data[9];
      if (depth !== 8) throw new Error(`png: bit depth ${depth} is not supported (8 only)`);
      if (data[12] !== 0) throw new Error('png: interlaced images are not supported');
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }[colorType];
  if (!channels) throw new Error(`png: colour type ${colorType} is not supported`);
  const joined = new Uint8Array(idat.reduce((n, d) => n + d.length, 0));
  idat.reduce((o, d) => (joined.set(d, o), o + d.length), 0);
  const raw = unzlibSync(joined);
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error(`png: ${raw.length} bytes of image data, expected ${height * (stride + 1)}`);
  // Undo the per-row filters in place, into `img`.
  const img = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? img[row + x - channels] : 0;
      const b = y > 0 ? img[row - stride + x] : 0;
      const c = x >= channels && y > 0 ? img[row - stride + x - channels] : 0;
      const pred = filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : filter === 4 ? paeth(a, b, c) : -1;
      if (pred < 0) throw new Error(`png: unknown filter ${filter} in row ${y}`);
      img[row + x] = (src[x] + pred) & 255;
    }
  }
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    if (colorType === 3) {
      if (!palette) throw new Error('png: palette image without PLTE');
      pixels.set(palette.subarray(3 * img[s], 3 * img[s] + 3), 3 * i);
    } else if (channels <= 2) pixels.fill(img[s], 3 * i, 3 * i + 3);
    else pixels.set(img.subarray(s, s + 3), 3 * i);
  }
  return { width, height, pixels };
}
