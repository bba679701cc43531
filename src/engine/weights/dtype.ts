/**
 * Element types found in weight files and their conversion to the two host dtypes.
 *
 * Names are the safetensors spellings; torch storages map onto them in ./pth.ts. Floating types
 * become float32 (what the model computes in) and integer types int32 (what TF.js supports).
 * Decoded arrays are always fresh copies: a tensor owns its buffer, so it can be transferred to a
 * worker without detaching the file it came from, and copying also handles unaligned offsets.
 */
import { WeightsError } from './errors';

export type ElementType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export const ELEMENT_SIZE: Readonly<Record<ElementType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

export function isElementType(s: unknown): s is ElementType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ELEMENT_SIZE, s);
}

export function hostDtypeOf(t: ElementType): 'float32' | 'int32' {
  return t[0] === 'F' || t === 'BF16' ? 'float32' : 'int32';
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** float16 bit pattern -> value, built on first use (256 KiB). */
let halfTable: Float32Array | null = null;
function halfToFloatTable(): Float32Array {
  if (halfTable) return halfTable;
  halfTable = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) halfTable[h] = sign * mant * 2 ** -24; // zero and subnormals
    else if (exp === 31) halfTable[h] = mant ? NaN : sign * Infinity;
    else halfTable[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return halfTable;
}

/**
 * Decodes `count` little-endian elements of type `t` from the start of `bytes` into a new array
 * (the caller owns it). `bytes` must hold at least count * ELEMENT_SIZE[t] bytes.
 */
export function decodeElements(bytes: Uint8Array, t: ElementType, count: number): Float32Array | Int32Array {
  const nbytes = count * ELEMENT_SIZE[t];
  if (bytes.length < nbytes) {
    throw new WeightsError(`need ${nbytes} bytes for ${count} ${t} elements, have ${bytes.length}`);
  }
  if ((t === 'F32' || t === 'I32') && LITTLE_ENDIAN_HOST) {
    const copy = new Uint8Array(nbytes); // fresh and aligned (Buffer#slice would be a view)
    copy.set(bytes.subarray(0, nbytes));
    return t === 'F32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, nbytes);
  if (hostDtypeOf(t) === 'float32') {
    const out = new Float32Array(count);
    switch (t) {
      case 'F32':
        for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
        break;
      case 'F64':
        for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true);
        break;
      case 'F16': {
        const table = halfToFloatTable();
        for (let i = 0; i < count; i++) out[i] = table[view.getUint16(2 * i, true)];
        break;
      }
      case 'BF16': {
        // bfloat16 is the top half of a float32 (native order on both sides of the alias).
        const bits = new Uint32Array(out.buffer);
        for (let i = 0; i < count; i++) bits[i] = view.getUint16(2 * i, true) << 16;
        break;
      }
    }
    return out;
  }
  const out = new Int32Array(count);
  switch (t) {
    case 'I32':
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, true);
      break;
    case 'I64':
      for (let i = 0; i < count; i++) {
        const lo = view.getUint32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        // Fits in int32 exactly when the high word is the sign extension of the low word.
        if (hi !== (lo | 0) >> 31) {
          throw new WeightsError(`int64 value ${BigInt(hi) * 2n ** 32n + BigInt(lo)} (element ${i}) does not fit in int32`);
        }
        out[i] = lo | 0;
      }
      break;
    case 'I16':
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'I8':
      for (let i = 0; i < count; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
    case 'BOOL':
      for (let i = 0; i < count; i++) out[i] = view.getUint8(i);
      break;
  }
  return out;
}

/** The little-endian bytes of a host tensor's data (F32 or I32), as a view when possible. */
export function encodeElements(data: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.byteLength);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(4 * i, data[i], true);
    else view.setInt32(4 * i, data[i], true);
  }
  return out;
}
