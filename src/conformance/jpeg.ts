/**
 * A baseline JPEG decoder that gives the bytes PIL 9.4 gets from libjpeg-turbo with its defaults,
 * so the conformance command can run the eval transform on the case's photos in Node:
 * - Huffman-coded sequential DCT (SOF0/SOF1), any number of scans, restart intervals;
 * - the accurate integer inverse DCT (`jpeg_idct_islow`, jidctint.c), with its range limiting;
 * - "fancy" (triangle) chroma upsampling for 2x1 and 2x2 subsampling (jdsample.c);
 * - the fixed-point YCbCr -> RGB conversion of jdcolor.c.
 * Progressive and arithmetic-coded files are refused with an error. ICC profiles are ignored, as
 * PIL's convert('RGB') ignores them.
 */
import type { RgbImage } from './png';

export function isJpeg(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && bytes[1] === 0xd8;
}

/** Zig-zag position -> natural (row-major) position in the 8x8 block. */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57,
  50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

interface Huffman {
  /** For code length l (1..16): the largest code, or -1; the index of its first value. */
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(18).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let l = 1; l <= 16; l++) {
    valPtr[l] = k;
    minCode[l] = code;
    code += counts[l - 1];
    k += counts[l - 1];
    if (counts[l - 1]) maxCode[l] = code - 1;
    code <<= 1;
  }
  maxCode[17] = 0x7fffffff;
  return { maxCode, valPtr, minCode, values };
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  blocksPerLine: number;
  blocksPerColumn: number;
  /** Quantised coefficients, 64 per block in natural order. */
  coef: Int32Array;
  pred: number;
  dcTable: number;
  acTable: number;
}

/** Bits of the entropy-coded segment; a marker ends the data and zeros are read past it (as libjpeg does). */
class BitReader {
  private acc = 0;
  private bits = 0;
  constructor(
    private bytes: Uint8Array,
    public pos: number,
  ) {}

  private fill(): void {
    let b = 0;
    if (this.pos < this.bytes.length && this.bytes[this.pos] === 0xff) {
      const next = this.bytes[this.pos + 1];
      if (next === 0x00) {
        b = 0xff;
        this.pos += 2;
      }
      // any other marker: leave pos on it, feed zeros
    } else if (this.pos < this.bytes.length) b = this.bytes[this.pos++];
    this.acc = ((this.acc << 8) | b) >>> 0;
    this.bits += 8;
  }

  bit(): number {
    if (this.bits === 0) this.fill();
    this.bits--;
    return (this.acc >>> this.bits) & 1;
  }

  receive(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = (v << 1) | this.bit();
    return v;
  }

  decode(t: Huffman): number {
    let code = 0;
    for (let l = 1; l <= 16; l++) {
      code = (code << 1) | this.bit();
      if (code <= t.maxCode[l]) return t.values[t.valPtr[l] + code - t.minCode[l]];
    }
    throw new Error('jpeg: bad Huffman code');
  }

  /** Skips to the restart marker after the current position and past it. */
  restart(): void {
    this.acc = 0;
    this.bits = 0;
    while (this.pos + 1 < this.bytes.length && !(this.bytes[this.pos] === 0xff && this.bytes[this.pos + 1] >= 0xd0 && this.bytes[this.pos + 1] <= 0xd7)) this.pos++;
    this.pos += 2;
  }
}

/** JPEG's EXTEND: an s-bit magnitude category value to a signed coefficient. */
function extend(v: number, s: number): number {
  return v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

// ---- the accurate integer IDCT (jidctint.c) -------------------------------------------------------
const CONST_BITS = 13;
const PASS1_BITS = 2;
const FIX_0_298631336 = 2446;
const FIX_0_390180644 = 3196;
const FIX_0_541196100 = 4433;
const FIX_0_765366865 = 6270;
const FIX_0_899976223 = 7373;
const FIX_1_175875602 = 9633;
const FIX_1_501321110 = 12299;
const FIX_1_847759065 = 15137;
const FIX_1_961570560 = 16069;
const FIX_2_053119869 = 16819;
const FIX_2_562915447 = 20995;
const FIX_3_072711026 = 25172;

/** Arithmetic right shift of a value that may exceed 32 bits. */
function shr(x: number, n: number): number {
  return Math.floor(x / 2 ** n);
}

function descale(x: number, n: number): number {
  return shr(x + 2 ** (n - 1), n);
}

/** libjpeg's post-IDCT range limit: x (not yet centred) taken mod 1024, then mapped to 0..255. */
function idctLimit(x: number): number {
  const i = x & 1023;
  if (i < 128) return i + 128;
  if (i < 512) return 255;
  if (i < 896) return 0;
  return i - 896;
}

/** One 8x8 block: natural-order coefficients times quantisers -> samples written to out. */
function idctIslow(coef: Int32Array, c0: number, q: Int32Array, out: Uint8Array, outOff: number, outStride: number, ws: Float64Array): void {
  // The 1-D transform shared by both passes; `inp(i)` reads element i of the column or row.
  const oneD = (inp: (i: number) => number, put: (i: number, v: number) => void) => {
    let z2 = inp(2);
    let z3 = inp(6);
    let z1 = (z2 + z3) * FIX_0_541196100;
    let tmp2 = z1 + z3 * -FIX_1_847759065;
    let tmp3 = z1 + z2 * FIX_0_765366865;
    z2 = inp(0);
    z3 = inp(4);
    let tmp0 = (z2 + z3) * 2 ** CONST_BITS;
    let tmp1 = (z2 - z3) * 2 ** CONST_BITS;
    const tmp10 = tmp0 + tmp3;
    const tmp13 = tmp0 - tmp3;
    const tmp11 = tmp1 + tmp2;
    const tmp12 = tmp1 - tmp2;
    tmp0 = inp(7);
    tmp1 = inp(5);
    tmp2 = inp(3);
    tmp3 = inp(1);
    z1 = tmp0 + tmp3;
    z2 = tmp1 + tmp2;
    z3 = tmp0 + tmp2;
    let z4 = tmp1 + tmp3;
    const z5 = (z3 + z4) * FIX_1_175875602;
    tmp0 *= FIX_0_298631336;
    tmp1 *= FIX_2_053119869;
    tmp2 *= FIX_3_072711026;
    tmp3 *= FIX_1_501321110;
    z1 *= -FIX_0_899976223;
    z2 *= -FIX_2_562915447;
    z3 *= -FIX_1_961570560;
    z4 *= -FIX_0_390180644;
    z3 += z5;
    z4 += z5;
    tmp0 += z1 + z3;
    tmp1 += z2 + z4;
    tmp2 += z2 + z3;
    tmp3 += z1 + z4;
    put(0, tmp10 + tmp3);
    put(7, tmp10 - tmp3);
    put(1, tmp11 + tmp2);
    put(6, tmp11 - tmp2);
    put(2, tmp12 + tmp1);
    put(5, tmp12 - tmp1);
    put(3, tmp13 + tmp0);
    put(4, tmp13 - tmp0);
  };
  for (let col = 0; col < 8; col++) {
    oneD(
      (i) => coef[c0 + i * 8 + col] * q[i * 8 + col],
      (i, v) => (ws[i * 8 + col] = descale(v, CONST_BITS - PASS1_BITS)),
    );
  }
  for (let row = 0; row < 8; row++) {
    oneD(
      (i) => ws[row * 8 + i],
      (i, v) => (out[outOff + row * outStride + i] = idctLimit(descale(v, CONST_BITS + PASS1_BITS + 3))),
    );
  }
}

// ---- chroma upsampling (jdsample.c, fancy) ----------------------------------------------------------

/** One row, 2x horizontally: the triangle filter 3/4, 1/4 with libjpeg's alternating rounding. */
function h2v1Row(inp: Uint8Array, inOff: number, n: number, out: Uint8Array, outOff: number): void {
  if (n === 1) {
    out[outOff] = out[outOff + 1] = inp[inOff];
    return;
  }
  out[outOff] = inp[inOff];
  out[outOff + 1] = (inp[inOff] * 3 + inp[inOff + 1] + 2) >> 2;
  for (let i = 1; i < n - 1; i++) {
    const v = inp[inOff + i] * 3;
    out[outOff + 2 * i] = (v + inp[inOff + i - 1] + 1) >> 2;
    out[outOff + 2 * i + 1] = (v + inp[inOff + i + 1] + 2) >> 2;
  }
  out[outOff + 2 * n - 2] = (inp[inOff + n - 1] * 3 + inp[inOff + n - 2] + 1) >> 2;
  out[outOff + 2 * n - 1] = inp[inOff + n - 1];
}

/** One output row of 2x2 upsampling from the nearer input row (weight 3) and the other one (weight 1). */
function h2v2Row(near: Uint8Array, nearOff: number, far: Uint8Array, farOff: number, n: number, out: Uint8Array, outOff: number): void {
  const colsum = (i: number) => near[nearOff + i] * 3 + far[farOff + i];
  if (n === 1) {
    out[outOff] = (colsum(0) * 4 + 8) >> 4;
    out[outOff + 1] = (colsum(0) * 4 + 7) >> 4;
    return;
  }
  let last = colsum(0);
  let cur = last;
  let next = colsum(1);
  out[outOff] = (cur * 4 + 8) >> 4;
  out[outOff + 1] = (cur * 3 + next + 7) >> 4;
  last = cur;
  cur = next;
  for (let i = 1; i < n - 1; i++) {
    next = colsum(i + 1);
    out[outOff + 2 * i] = (cur * 3 + last + 8) >> 4;
    out[outOff + 2 * i + 1] = (cur * 3 + next + 7) >> 4;
    last = cur;
    cur = next;
  }
  out[outOff + 2 * n - 2] = (cur * 3 + last + 8) >> 4;
  out[outOff + 2 * n - 1] = (cur * 4 + 7) >> 4;
}

// ---- colour conversion (jdcolor.c) ------------------------------------------------------------------
const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number) => Math.trunc(x * (1 << SCALEBITS) + 0.5);
const CR_R = Int32Array.from({ length: 256 }, (_, i) => shr(FIX(1.402) * (i - 128) + ONE_HALF, SCALEBITS));
const CB_B = Int32Array.from({ length: 256 }, (_, i) => shr(FIX(1.772) * (i - 128) + ONE_HALF, SCALEBITS));
const CR_G = Int32Array.from({ length: 256 }, (_, i) => -FIX(0.71414) * (i - 128));
const CB_G = Int32Array.from({ length: 256 }, (_, i) => -FIX(0.34414) * (i - 128) + ONE_HALF);
const clamp255 = (x: number) => (x < 0 ? 0 : x > 255 ? 255 : x);

export function decodeJpeg(bytes: Uint8Array): RgbImage {
  if (!isJpeg(bytes)) throw new Error('jpeg: not a JPEG file');
  const quant: Int32Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let comps: Component[] = [];
  let width = 0;
  let height = 0;
  let hMax = 1;
  let vMax = 1;
  let restartInterval = 0;
  let adobeTransform = -1;
  let pos = 2;
  const u16 = (p: number) => (bytes[p] << 8) | bytes[p + 1];
  while (pos < bytes.length) {
    if (bytes[pos] !== 0xff) throw new Error(`jpeg: expected a marker at byte ${pos}`);
    const marker = bytes[pos + 1];
    if (marker === 0xff) {
      pos++;
      continue;
    }
    if (marker === 0xd9) break; // EOI
    const len = u16(pos + 2);
    const seg = bytes.subarray(pos + 4, pos + 2 + len);
    if (marker === 0xdb) {
      for (let p = 0; p < seg.length; ) {
        const prec = seg[p] >> 4;
        const id = seg[p] & 15;
        const q = new Int32Array(64);
        for (let k = 0; k < 64; k++) q[ZIGZAG[k]] = prec ? (seg[p + 1 + 2 * k] << 8) | seg[p + 2 + 2 * k] : seg[p + 1 + k];
        quant[id] = q;
        p += 1 + (prec ? 128 : 64);
      }
    } else if (marker === 0xc0 || marker === 0xc1) {
      if (seg[0] !== 8) throw new Error(`jpeg: ${seg[0]}-bit samples are not supported`);
      height = u16(pos + 5);
      width = u16(pos + 7);
      const n = seg[5];
      comps = [];
      for (let c = 0; c < n; c++) {
        const b = 6 + 3 * c;
        comps.push({ id: seg[b], h: seg[b + 1] >> 4, v: seg[b + 1] & 15, tq: seg[b + 2], blocksPerLine: 0, blocksPerColumn: 0, coef: new Int32Array(0), pred: 0, dcTable: 0, acTable: 0 });
      }
      hMax = Math.max(...comps.map((c) => c.h));
      vMax = Math.max(...comps.map((c) => c.v));
      const mcusX = Math.ceil(width / (8 * hMax));
      const mcusY = Math.ceil(height / (8 * vMax));
      for (const c of comps) {
        c.blocksPerLine = mcusX * c.h;
        c.blocksPerColumn = mcusY * c.v;
        c.coef = new Int32Array(c.blocksPerLine * c.blocksPerColumn * 64);
      }
    } else if (marker >= 0xc2 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      throw new Error(`jpeg: SOF marker 0x${marker.toString(16)} (progressive, lossless or arithmetic) is not supported`);
    } else if (marker === 0xc4) {
      for (let p = 0; p < seg.length; ) {
        const cls = seg[p] >> 4;
        const id = seg[p] & 15;
        const counts = seg.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        const t = buildHuffman(counts, seg.slice(p + 17, p + 17 + total));
        (cls === 0 ? dcTables : acTables)[id] = t;
        p += 17 + total;
      }
    } else if (marker === 0xdd) {
      restartInterval = u16(pos + 4);
    } else if (marker === 0xee && String.fromCharCode(...seg.subarray(0, 5)) === 'Adobe') {
      adobeTransform = seg[11];
    } else if (marker === 0xda) {
      const ns = seg[0];
      const scan: Component[] = [];
      for (let i = 0; i < ns; i++) {
        const c = comps.find((x) => x.id === seg[1 + 2 * i]);
        if (!c) throw new Error(`jpeg: scan names unknown component ${seg[1 + 2 * i]}`);
        c.dcTable = seg[2 + 2 * i] >> 4;
        c.acTable = seg[2 + 2 * i] & 15;
        c.pred = 0;
        scan.push(c);
      }
      pos = decodeScan(bytes, pos + 2 + len, scan, comps.length, width, height, hMax, vMax, restartInterval, dcTables, acTables);
      continue;
    }
    pos += 2 + len;
  }
  if (comps.length === 0) throw new Error('jpeg: no frame header');
  return toRgb(comps, quant, width, height, hMax, vMax, adobeTransform);
}

function decodeBlock(r: BitReader, c: Component, dc: Huffman, ac: Huffman, blockIndex: number): void {
  const base = blockIndex * 64;
  const t = r.decode(dc);
  c.pred += t === 0 ? 0 : extend(r.receive(t), t);
  c.coef[base] = c.pred;
  for (let k = 1; k < 64; ) {
    const rs = r.decode(ac);
    const s = rs & 15;
    const run = rs >> 4;
    if (s === 0) {
      if (run !== 15) break;
      k += 16;
      continue;
    }
    k += run;
    if (k > 63) throw new Error('jpeg: coefficient index past 63');
    c.coef[base + ZIGZAG[k]] = extend(r.receive(s), s);
    k++;
  }
}

/** Decodes one scan's entropy-coded data; returns the position of the marker after it. */
function decodeScan(
  bytes: Uint8Array,
  start: number,
  scan: Component[],
  frameComponents: number,
  width: number,
  height: number,
  hMax: number,
  vMax: number,
  restartInterval: number,
  dcTables: Huffman[],
  acTables: Huffman[],
): number {
  const r = new BitReader(bytes, start);
  const table = (t: Huffman[], id: number) => {
    if (!t[id]) throw new Error(`jpeg: Huffman table ${id} is not defined`);
    return t[id];
  };
  let units: { c: Component; block: number }[][];
  if (scan.length === 1) {
    // Non-interleaved: one block per unit, over the component's own (unpadded) block grid.
    const c = scan[0];
    const bw = Math.ceil(Math.ceil((width * c.h) / hMax) / 8);
    const bh = Math.ceil(Math.ceil((height * c.v) / vMax) / 8);
    units = [];
    for (let y = 0; y < bh; y++) for (let x = 0; x < bw; x++) units.push([{ c, block: y * c.blocksPerLine + x }]);
  } else {
    const mcusX = Math.ceil(width / (8 * hMax));
    const mcusY = Math.ceil(height / (8 * vMax));
    units = [];
    for (let my = 0; my < mcusY; my++) {
      for (let mx = 0; mx < mcusX; mx++) {
        const u: { c: Component; block: number }[] = [];
        for (const c of scan) {
          for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) u.push({ c, block: (my * c.v + v) * c.blocksPerLine + mx * c.h + h });
        }
        units.push(u);
      }
    }
  }
  void frameComponents;
  units.forEach((u, i) => {
    if (restartInterval && i > 0 && i % restartInterval === 0) {
      r.restart();
      for (const c of scan) c.pred = 0;
    }
    for (const { c, block } of u) decodeBlock(r, c, table(dcTables, c.dcTable), table(acTables, c.acTable), block);
  });
  // Find the next marker that is not a restart marker or stuffing.
  let p = r.pos;
  while (p + 1 < bytes.length && !(bytes[p] === 0xff && bytes[p + 1] !== 0 && !(bytes[p + 1] >= 0xd0 && bytes[p + 1] <= 0xd7))) p++;
  return p;
}

function toRgb(comps: Component[], quant: Int32Array[], width: number, height: number, hMax: number, vMax: number, adobeTransform: number): RgbImage {
  const ws = new Float64Array(64);
  // Each component's samples at its own resolution, then brought to full resolution.
  const planes = comps.map((c) => {
    const q = quant[c.tq];
    if (!q) throw new Error(`jpeg: quantisation table ${c.tq} is not defined`);
    const stride = c.blocksPerLine * 8;
    const samples = new Uint8Array(stride * c.blocksPerColumn * 8);
    for (let by = 0; by < c.blocksPerColumn; by++) {
      for (let bx = 0; bx < c.blocksPerLine; bx++) {
        idctIslow(c.coef, (by * c.blocksPerLine + bx) * 64, q, samples, by * 8 * stride + bx * 8, stride, ws);
      }
    }
    const dw = Math.ceil((width * c.h) / hMax);
    const dh = Math.ceil((height * c.v) / vMax);
    const fx = hMax / c.h;
    const fy = vMax / c.v;
    if (fx === 1 && fy === 1) return { data: samples, stride };
    const outStride = dw * fx;
    const full = new Uint8Array(outStride * dh * fy);
    if (fx === 2 && fy === 1) {
      for (let y = 0; y < dh; y++) h2v1Row(samples, y * stride, dw, full, y * outStride);
    } else if (fx === 2 && fy === 2) {
      for (let y = 0; y < dh; y++) {
        const above = Math.max(y - 1, 0); // image edges replicate the edge row
        const below = Math.min(y + 1, dh - 1);
        h2v2Row(samples, y * stride, samples, above * stride, dw, full, 2 * y * outStride);
        h2v2Row(samples, y * stride, samples, below * stride, dw, full, (2 * y + 1) * outStride);
      }
    } else {
      throw new Error(`jpeg: ${c.h}x${c.v} sampling under ${hMax}x${vMax} is not supported (2x1 and 2x2 chroma only)`);
    }
    return { data: full, stride: outStride };
  });
  const pixels = new Uint8Array(width * height * 3);
  const ycc = comps.length === 3 && adobeTransform !== 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = 3 * (y * width + x);
      if (comps.length === 1) {
        pixels.fill(planes[0].data[y * planes[0].stride + x], o, o + 3);
        continue;
      }
      if (comps.length !== 3) throw new Error(`jpeg: ${comps.length} components are not supported`);
      const Y = planes[0].data[y * planes[0].stride + x];
      const cb = planes[1].data[y * planes[1].stride + x];
      const cr = planes[2].data[y * planes[2].stride + x];
      if (!ycc) {
        pixels[o] = Y;
        pixels[o + 1] = cb;
        pixels[o + 2] = cr;
        continue;
      }
      pixels[o] = clamp255(Y + CR_R[cr]);
      pixels[o + 1] = clamp255(Y + shr(CB_G[cb] + CR_G[cr], SCALEBITS));
      pixels[o + 2] = clamp255(Y + CB_B[cb]);
    }
  }
  return { width, height, pixels };
}
