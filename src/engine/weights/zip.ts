/**
 * A small, defensive zip container reader and an uncompressed (STORED) writer: the container of
 * PyTorch's `torch.save` files. Every offset and length is checked against the file before use,
 * so corrupt or hostile archives fail with a WeightsError instead of reading out of bounds,
 * allocating gigabytes or looping for long.
 */
import { inflateSync } from 'fflate';
import { WeightsError, clip } from './errors';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_EOCD64_LOCATOR = 0x07064b50;
/** Deflate cannot expand by more than ~1032x; a larger declared size is a lie (or a zip bomb). */
const MAX_DEFLATE_RATIO = 1100;

/**
 * Total bytes all entries of one archive may inflate to: 4x the file plus 64 MiB. torch.save
 * writes STORED entries (nothing inflates); a weights file re-zipped with deflate shrinks by under
 * 20 % (float32 noise does not compress), and the 64 MiB cover the pickles of small files. A zip
 * bomb (4 GB of deflated zeros in 4 MB, or many directory entries pointing at one) is refused
 * before anything that large is allocated.
 */
function defaultInflateBudget(fileBytes: number): number {
  return 4 * fileBytes + 64 * 2 ** 20;
}

interface ZipOptions {
  /** Total bytes the entries may inflate to (default `defaultInflateBudget`). */
  inflateBudget?: number;
}

export interface ZipArchive {
  /** Entry names in central-directory order. */
  readonly names: readonly string[];
  has(name: string): boolean;
  /** Uncompressed size of an entry, from the directory (nothing is read). */
  size(name: string): number;
  /** Contents of an entry, CRC-checked on first read. Stored entries are views into the file;
   *  deflated ones count against the archive's inflate budget. */
  read(name: string): Uint8Array;
}

interface EntryInfo {
  localOffset: number;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  dataStart: number;
}

/** A zip starts with a local file header (or, when empty, with the end record). */
export function looksLikeZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 3 || bytes[2] === 5);
}

/** CRC-32 tables for slicing-by-4 (four bytes per step: ~3x the speed of the bytewise loop). */
let crcTables: Uint32Array[] | null = null;
function tables(): Uint32Array[] {
  if (crcTables) return crcTables;
  const t = Array.from({ length: 4 }, () => new Uint32Array(256));
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[0][n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 4; k++) t[k][n] = (t[k - 1][n] >>> 8) ^ t[0][t[k - 1][n] & 0xff];
  }
  crcTables = t;
  return t;
}

export function crc32(bytes: Uint8Array): number {
  const [t0, t1, t2, t3] = tables();
  let c = 0xffffffff;
  let i = 0;
  for (const end = bytes.length - 3; i < end; i += 4) {
    c ^= bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    c = t3[c & 0xff] ^ t2[(c >>> 8) & 0xff] ^ t1[(c >>> 16) & 0xff] ^ t0[c >>> 24];
  }
  for (; i < bytes.length; i++) c = t0[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Opens a zip archive. `what` names the file kind in error messages. */
export function openZip(bytes: Uint8Array, what = 'zip', options: ZipOptions = {}): ZipArchive {
  const fail = (msg: string): never => {
    throw new WeightsError(`${what}: ${msg}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (p: number) => view.getUint16(p, true);
  const u32 = (p: number) => view.getUint32(p, true);
  const u64 = (p: number) => {
    const hi = u32(p + 4);
    if (hi >= 2 ** 21) fail('a zip64 size or offset is too large');
    return hi * 2 ** 32 + u32(p);
  };
  const inFile = (start: number, length: number) => start >= 0 && length >= 0 && start + length <= bytes.length;

  // End of central directory record: the last 22 bytes, unless followed by a comment (< 64 KiB).
  let eocd = -1;
  for (let p = bytes.length - 22; p >= 0 && p >= bytes.length - 22 - 0xffff; p--) {
    if (u32(p) === SIG_EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) fail('no end-of-central-directory record (truncated or not a zip file)');
  let count = u16(eocd + 10);
  let cdSize = u32(eocd + 12);
  let cdOffset = u32(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locator = eocd - 20;
    if (locator < 0 || u32(locator) !== SIG_EOCD64_LOCATOR) fail('zip64 locator missing');
    const eocd64 = u64(locator + 8);
    if (!inFile(eocd64, 56) || u32(eocd64) !== SIG_EOCD64) fail('zip64 end record missing');
    count = u64(eocd64 + 32);
    cdSize = u64(eocd64 + 40);
    cdOffset = u64(eocd64 + 48);
  }
  if (!inFile(cdOffset, cdSize)) fail(`central directory [${cdOffset}, +${cdSize}] lies outside the file (truncated?)`);
  if (count * 46 > cdSize) fail(`central directory of ${cdSize} bytes cannot hold ${count} entries`);

  const entries = new Map<string, EntryInfo>();
  const decoder = new TextDecoder();
  let p = cdOffset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdOffset + cdSize || u32(p) !== SIG_CENTRAL) fail(`central directory entry ${i} is corrupt`);
    const flags = u16(p + 8);
    const method = u16(p + 10);
    const crc = u32(p + 16);
    let compressedSize = u32(p + 20);
    let size = u32(p + 24);
    const nameLen = u16(p + 28);
    const extraLen = u16(p + 30);
    const commentLen = u16(p + 32);
    let localOffset = u32(p + 42);
    const end = p + 46 + nameLen + extraLen + commentLen;
    if (end > cdOffset + cdSize) fail(`central directory entry ${i} runs past the directory`);
    const name = clip(decoder.decode(bytes.subarray(p + 46, p + 46 + nameLen)), 1024);
    if (flags & 1) fail(`entry "${name}" is encrypted`);
    // Zip64 extended information: 8-byte values for the fields that hold 0xffffffff, in order.
    const extraEnd = p + 46 + nameLen + extraLen;
    for (let q = p + 46 + nameLen; q + 4 <= extraEnd; ) {
      const id = u16(q);
      const len = u16(q + 2);
      if (q + 4 + len > extraEnd) fail(`entry "${name}": corrupt extra field`);
      if (id === 0x0001) {
        let r = q + 4;
        const take = () => {
          if (r + 8 > q + 4 + len) fail(`entry "${name}": zip64 field too short`);
          r += 8;
          return u64(r - 8);
        };
        if (size === 0xffffffff) size = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localOffset === 0xffffffff) localOffset = take();
      }
      q += 4 + len;
    }
    if (!inFile(localOffset, 30) || u32(localOffset) !== SIG_LOCAL) fail(`entry "${name}": local header missing`);
    const dataStart = localOffset + 30 + u16(localOffset + 26) + u16(localOffset + 28);
    if (!inFile(dataStart, compressedSize)) fail(`entry "${name}" runs past the end of the file (truncated?)`);
    if (method === 0 && compressedSize !== size) fail(`stored entry "${name}" has inconsistent sizes`);
    if (method !== 0 && method !== 8) fail(`entry "${name}" uses unsupported compression method ${method}`);
    if (method === 8 && size > compressedSize * MAX_DEFLATE_RATIO + 1024) fail(`entry "${name}" declares an impossible size`);
    if (entries.has(name)) fail(`duplicate entry "${name}"`);
    entries.set(name, { localOffset, method, crc, compressedSize, size, dataStart });
    p = end;
  }
  // Each byte of the file belongs to at most one entry: overlapping entries are how one deflated
  // stream is made to count many times.
  const spans = [...entries].sort(([, a], [, b]) => a.localOffset - b.localOffset);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1];
    const [curName, cur] = spans[i];
    if (cur.localOffset < prev.dataStart + prev.compressedSize) fail(`entries "${clip(prevName)}" and "${clip(curName)}" overlap`);
  }
  if (spans.length && spans[spans.length - 1][1].dataStart + spans[spans.length - 1][1].compressedSize > cdOffset) {
    fail(`entry "${clip(spans[spans.length - 1][0])}" overlaps the central directory`);
  }

  let inflateLeft = options.inflateBudget ?? defaultInflateBudget(bytes.length);

  const cache = new Map<string, Uint8Array>();
  return {
    names: [...entries.keys()],
    has: (name) => entries.has(name),
    size: (name) => entries.get(name)?.size ?? fail(`missing entry "${name}"`),
    read(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const e = entries.get(name);
      if (!e) return fail(`missing entry "${name}"`);
      const raw = bytes.subarray(e.dataStart, e.dataStart + e.compressedSize);
      let data = raw;
      if (e.method === 8) {
        if (e.size > inflateLeft) {
          fail(`entry "${clip(name)}" would inflate to ${e.size} bytes, beyond what a file of ${bytes.length} bytes may hold (${inflateLeft} bytes left of the archive's inflate budget; a zip bomb?)`);
        }
        inflateLeft -= e.size;
        try {
          data = inflateSync(raw, { out: new Uint8Array(e.size) });
        } catch (err) {
          fail(`entry "${name}" does not inflate (${err instanceof Error ? err.message : String(err)})`);
        }
        if (data.length !== e.size) fail(`entry "${name}" inflates to ${data.length} bytes, expected ${e.size}`);
      }
      if (crc32(data) !== e.crc) fail(`entry "${name}" is corrupt (CRC mismatch)`);
      cache.set(name, data);
      return data;
    },
  };
}

export interface ZipInput {
  name: string;
  data: Uint8Array;
}

/**
 * Writes an uncompressed zip. Each entry's data starts at a multiple of `align` bytes (padding in
 * a local extra field, as torch.save does with id "FB"), so readers could map tensors in place.
 */
export function writeZip(inputs: readonly ZipInput[], align = 64): Uint8Array {
  const encoder = new TextEncoder();
  const names = inputs.map((e) => encoder.encode(e.name));
  const crcs = inputs.map((e) => crc32(e.data));
  const localOffsets: number[] = [];
  const pads: number[] = [];
  let pos = 0;
  inputs.forEach((e, i) => {
    localOffsets.push(pos);
    const unpadded = pos + 30 + names[i].length;
    let pad = (align - (unpadded % align)) % align;
    if (pad > 0 && pad < 4) pad += align; // an extra field needs a 4-byte header
    pads.push(pad);
    pos = unpadded + pad + e.data.length;
  });
  const cdOffset = pos;
  const cdSize = names.reduce((s, n) => s + 46 + n.length, 0);
  const total = cdOffset + cdSize + 22;
  if (total > 0xffffffff || inputs.length > 0xffff) {
    throw new WeightsError(`zip: ${total} bytes in ${inputs.length} entries needs zip64, which this writer does not produce`);
  }

  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const DOS_DATE_1980_01_01 = 0x21;
  const UTF8_NAMES = 0x0800;
  inputs.forEach((e, i) => {
    let p = localOffsets[i];
    view.setUint32(p, SIG_LOCAL, true);
    view.setUint16(p + 4, 20, true); // version needed: 2.0
    view.setUint16(p + 6, UTF8_NAMES, true);
    view.setUint16(p + 8, 0, true); // STORED
    view.setUint16(p + 10, 0, true);
    view.setUint16(p + 12, DOS_DATE_1980_01_01, true);
    view.setUint32(p + 14, crcs[i], true);
    view.setUint32(p + 18, e.data.length, true);
    view.setUint32(p + 22, e.data.length, true);
    view.setUint16(p + 26, names[i].length, true);
    view.setUint16(p + 28, pads[i], true);
    out.set(names[i], p + 30);
    p += 30 + names[i].length;
    if (pads[i] > 0) {
      view.setUint16(p, 0x4246, true); // "FB"
      view.setUint16(p + 2, pads[i] - 4, true);
      out.fill(0x5a, p + 4, p + pads[i]); // "Z"
    }
    out.set(e.data, p + pads[i]);
  });
  let p = cdOffset;
  inputs.forEach((e, i) => {
    view.setUint32(p, SIG_CENTRAL, true);
    view.setUint16(p + 4, 20, true); // version made by
    view.setUint16(p + 6, 20, true);
    view.setUint16(p + 8, UTF8_NAMES, true);
    view.setUint16(p + 12, 0, true);
    view.setUint16(p + 14, DOS_DATE_1980_01_01, true);
    view.setUint32(p + 16, crcs[i], true);
    view.setUint32(p + 20, e.data.length, true);
    view.setUint32(p + 24, e.data.length, true);
    view.setUint16(p + 28, names[i].length, true);
    view.setUint32(p + 42, localOffsets[i], true);
    out.set(names[i], p + 46);
    p += 46 + names[i].length;
  });
  view.setUint32(p, SIG_EOCD, true);
  view.setUint16(p + 8, inputs.length, true);
  view.setUint16(p + 10, inputs.length, true);
  view.setUint32(p + 12, cdSize, true);
  view.setUint32(p + 16, cdOffset, true);
  return out;
}
