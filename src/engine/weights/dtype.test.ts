import { describe, expect, it } from 'vitest';
import { decodeElements } from './dtype';
import { WeightsError } from './errors';

function le16(...values: number[]): Uint8Array {
  const b = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(b.buffer).setUint16(2 * i, v, true));
  return b;
}

describe('decodeElements', () => {
  it('converts float16 bit patterns, including subnormals, infinities and NaN', () => {
    const out = decodeElements(le16(0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0xfc00, 0x8000, 0x3555, 0x7e00), 'F16', 9);
    expect(out).toBeInstanceOf(Float32Array);
    expect([...out.slice(0, 8)]).toEqual([1, -2, 65504, 2 ** -24, Infinity, -Infinity, -0, Math.fround(0.333251953125)]);
    expect(out[8]).toBeNaN();
  });

  it('converts bfloat16 as the top half of a float32', () => {
    const out = decodeElements(le16(0x3f80, 0xc049, 0x0000), 'BF16', 3);
    expect([...out]).toEqual([1, -3.140625, 0]);
  });

  it('rounds float64 to float32 and keeps int64 that fit in int32', () => {
    const f = new Float64Array([0.1, -1e300, 3]);
    expect([...decodeElements(new Uint8Array(f.buffer), 'F64', 3)]).toEqual([Math.fround(0.1), -Infinity, 3]);
    const i = new BigInt64Array([-5n, 2147483647n, -2147483648n]);
    const out = decodeElements(new Uint8Array(i.buffer), 'I64', 3);
    expect(out).toBeInstanceOf(Int32Array);
    expect([...out]).toEqual([-5, 2147483647, -2147483648]);
  });

  it('refuses int64 values outside int32 instead of wrapping them', () => {
    const i = new BigInt64Array([1n, 2147483648n]);
    expect(() => decodeElements(new Uint8Array(i.buffer), 'I64', 2)).toThrow(/2147483648 \(element 1\) does not fit in int32/);
  });

  it('reads small integer types and booleans as int32', () => {
    expect([...decodeElements(Uint8Array.from([255, 1]), 'U8', 2)]).toEqual([255, 1]);
    expect([...decodeElements(Uint8Array.from([255, 1]), 'I8', 2)]).toEqual([-1, 1]);
    expect([...decodeElements(Uint8Array.from([1, 0]), 'BOOL', 2)]).toEqual([1, 0]);
    expect([...decodeElements(le16(0xffff), 'I16', 1)]).toEqual([-1]);
  });

  it('copies float32 from an unaligned offset into a fresh buffer', () => {
    const backing = new Uint8Array(13);
    new DataView(backing.buffer).setFloat32(1, 1.5, true);
    new DataView(backing.buffer).setFloat32(5, -2.25, true);
    const src = backing.subarray(1);
    const out = decodeElements(src, 'F32', 2);
    expect([...out]).toEqual([1.5, -2.25]);
    expect(out.buffer).not.toBe(backing.buffer);
    expect(out.byteOffset).toBe(0);
  });

  it('throws a WeightsError when the bytes are too few', () => {
    expect(() => decodeElements(new Uint8Array(7), 'F32', 2)).toThrow(WeightsError);
  });
});
