/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors):
 *
 *   [8 bytes: n, little-endian u64] [n bytes: UTF-8 JSON header] [data area]
 *
 * The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} (offsets relative
 * to the data area) plus an optional "__metadata__" object of string -> string. Data are C-order
 * and little-endian. Nothing here trusts the header: every length and offset is checked against
 * the file before it is used, the tensors must tile the data area exactly (no holes, no overlaps,
 * nothing after the last one, as the format requires), the header is at most MAX_HEADER_BYTES
 * (the reference reader's limit) and a tensor name at most MAX_KEY_LENGTH characters.
 */
import { numel, shapeStr, type HostTensor, type TensorMap } from '../../shared/host-tensor';
import { ELEMENT_SIZE, decodeElements, encodeElements, hostDtypeOf, isElementType, type ElementType } from './dtype';
import { MAX_KEY_LENGTH, WeightsError, clip, preview, withContext } from './errors';

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** Largest JSON header, bytes: the reference implementation refuses headers over 100 MB. */
const MAX_HEADER_BYTES = 100_000_000;

function fail(msg: string): never {
  throw new WeightsError(`safetensors: ${msg}`);
}

/** Cheap content sniffing: a plausible header length followed by a JSON object. */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getUint32(0, true);
  return view.getUint32(4, true) === 0 && n >= 2 && n <= bytes.length - 8 && bytes[8] === 0x7b; // '{'
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Parses a safetensors file. Tensors are decoded to float32/int32 copies (the file can be dropped). */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lenLo = view.getUint32(0, true);
  const lenHi = view.getUint32(4, true);
  const headerLen = lenHi * 2 ** 32 + lenLo;
  if (headerLen > bytes.length - 8) {
    fail(`header length ${headerLen} goes past the end of the file (${bytes.length} bytes; truncated?)`);
  }
  if (headerLen > MAX_HEADER_BYTES) fail(`the header is ${headerLen} bytes, over the format's limit of ${MAX_HEADER_BYTES}`);
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('the header is not a JSON object');
  }
  const data = bytes.subarray(8 + headerLen);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: ElementType; shape: number[]; begin: number; end: number }[] = [];

  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name.length > MAX_KEY_LENGTH) fail(`a tensor name is ${name.length} characters long ("${clip(name)}"); names are far below ${MAX_KEY_LENGTH}`);
    if (name === METADATA_KEY) {
      if (typeof info !== 'object' || info === null || Array.isArray(info)) fail('"__metadata__" is not an object');
      for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`metadata value "${clip(k)}" is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (typeof info !== 'object' || info === null) fail(`tensor "${clip(name)}": header entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (!isElementType(dtype)) fail(`tensor "${clip(name)}": unknown dtype ${preview(dtype)}`);
    if (!Array.isArray(shape) || !shape.every(isSize)) {
      fail(`tensor "${clip(name)}": shape ${preview(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize)) {
      fail(`tensor "${clip(name)}": data_offsets ${preview(offsets)} is not a pair of non-negative integers`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > data.length) {
      fail(`tensor "${clip(name)}": data_offsets [${begin}, ${end}] lie outside the data area of ${data.length} bytes (truncated file?)`);
    }
    const need = numel(shape) * ELEMENT_SIZE[dtype];
    if (end - begin !== need) {
      fail(`tensor "${clip(name)}": data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${shapeStr(shape)} needs ${need}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }

  // The tensors tile the data area: each starts where the previous one ends, the last one ends the file.
  const byBegin = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  let covered = 0;
  byBegin.forEach((cur, i) => {
    const prev = byBegin[i - 1];
    if (cur.begin < covered) fail(`tensors "${clip(prev.name)}" [${prev.begin}, ${prev.end}] and "${clip(cur.name)}" [${cur.begin}, ${cur.end}] overlap`);
    if (cur.begin > covered) fail(`the data area has a hole: bytes [${covered}, ${cur.begin}) belong to no tensor`);
    covered = cur.end;
  });
  if (covered !== data.length) fail(`the data area has ${data.length - covered} bytes after the last tensor (at ${covered}) that belong to no tensor`);

  const tensors: TensorMap = new Map();
  for (const e of entries) {
    const values = withContext(`safetensors: tensor "${clip(e.name)}"`, () =>
      decodeElements(data.subarray(e.begin, e.end), e.dtype, numel(e.shape)),
    );
    tensors.set(e.name, { dtype: hostDtypeOf(e.dtype), shape: [...e.shape], data: values });
  }
  return { tensors, metadata };
}

function checkTensor(name: string, t: HostTensor): void {
  const want = t.dtype === 'float32' ? Float32Array : Int32Array;
  if (!(t.data instanceof want)) fail(`tensor "${clip(name)}": dtype ${t.dtype} but data is a ${t.data.constructor.name}`);
  if (t.data.length !== numel(t.shape)) {
    fail(`tensor "${clip(name)}": shape ${shapeStr(t.shape)} has ${numel(t.shape)} elements but data has ${t.data.length}`);
  }
}

/**
 * Serialises tensors (in map order, packed back to back) with `__metadata__` first in the header.
 * The header is padded with spaces to a multiple of 8 bytes, as the reference writer does, so the
 * data area starts 8-byte aligned.
 */
export function writeSafetensors(tensors: TensorMap, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" cannot be used as a tensor name`);
    checkTensor(name, t);
    const size = t.data.byteLength;
    header[name] = { dtype: t.dtype === 'float32' ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLen = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLen % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLen / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen); // space padding
  let pos = 8 + headerLen;
  for (const t of tensors.values()) {
    out.set(encodeElements(t.data), pos);
    pos += t.data.byteLength;
  }
  return out;
}
