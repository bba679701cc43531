import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../../shared/host-tensor';
import { WeightsError } from './errors';
import { readSafetensors, writeSafetensors } from './safetensors';
import { f32, golden, sameTensor } from '../../test-support/weights';

/** A safetensors file from a header object and a data area, without the writer's checks. */
function rawFile(header: unknown, data: Uint8Array, pad = 0): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(pad));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function headerOf(file: Uint8Array): { text: string; length: number } {
  const length = new DataView(file.buffer, file.byteOffset).getUint32(0, true);
  return { text: new TextDecoder().decode(file.subarray(8, 8 + length)), length };
}

const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('readSafetensors on the golden files', () => {
  it('reads backbone.safetensors with its metadata and official shapes', () => {
    const { tensors, metadata } = readSafetensors(golden('backbone.safetensors'));
    expect(metadata).toEqual({ format: 'dino-golden-v1', case: 'vit-p8-tiny', dtype: 'float32' });
    expect(tensors.size).toBe(30);
    expect(tensors.get('pos_embed')!.shape).toEqual([1, 17, 48]);
    expect(tensors.get('blocks.1.attn.qkv.weight')!.shape).toEqual([144, 48]);
    expect(tensors.get('blocks.1.mlp.fc2.weight')!.shape).toEqual([48, 192]);
    expect(tensors.get('cls_token')!.data).toBeInstanceOf(Float32Array);
  });

  it('writes the golden files back byte for byte (same header order, padding and packing)', () => {
    for (const name of ['backbone.safetensors', 'head.safetensors', 'knn.safetensors']) {
      const original = golden(name);
      const { tensors, metadata } = readSafetensors(original);
      const written = writeSafetensors(tensors, metadata);
      expect(written.length).toBe(original.length);
      expect(written.findIndex((b, i) => b !== original[i]), name).toBe(-1);
    }
  });

  it('reads I32 tensors and 0-d scalars (knn.safetensors)', () => {
    const { tensors } = readSafetensors(golden('knn.safetensors'));
    expect(tensors.get('train_labels')!.dtype).toBe('int32');
    expect(tensors.get('top1')!.shape).toEqual([]);
    expect(tensors.get('top1')!.data[0]).toBeCloseTo(70.0, 4);
  });
});

describe('writeSafetensors', () => {
  const tensors: TensorMap = new Map([
    ['w', f32([2, 3])],
    ['labels', { dtype: 'int32', shape: [3], data: Int32Array.from([-1, 0, 7]) }],
    ['scalar', f32([], [4.5])],
    ['empty', f32([0, 5], [])],
  ]);

  it('round-trips float32, int32, scalars and empty tensors', () => {
    const back = readSafetensors(writeSafetensors(tensors, { note: 'x' }));
    expect(back.metadata).toEqual({ note: 'x' });
    expect([...back.tensors.keys()]).toEqual(['w', 'labels', 'scalar', 'empty']);
    for (const [k, t] of tensors) expect(sameTensor(back.tensors.get(k)!, t)).toBe(true);
  });

  it('follows the spec: __metadata__ first, header padded with spaces to a multiple of 8, packed C-order data', () => {
    const file = writeSafetensors(tensors, { note: 'x' });
    const { text, length } = headerOf(file);
    expect(length % 8).toBe(0);
    expect(text.trimEnd().length).toBeLessThanOrEqual(length);
    expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    const header = JSON.parse(text);
    expect(Object.keys(header)[0]).toBe('__metadata__');
    expect(header.w).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.labels).toEqual({ dtype: 'I32', shape: [3], data_offsets: [24, 36] });
    expect(header.empty.data_offsets).toEqual([40, 40]);
    expect(new DataView(file.buffer).getFloat32(8 + length + 4, true)).toBe(-0.5);
    expect(file.length).toBe(8 + length + 40);
  });

  it('omits __metadata__ when there is none', () => {
    expect(headerOf(writeSafetensors(new Map([['a', f32([1])]]))).text.startsWith('{"a"')).toBe(true);
  });

  it('refuses tensors whose data does not match their shape or dtype', () => {
    expect(() => writeSafetensors(new Map([['bad', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) }]]))).toThrow(
      /tensor "bad": shape \[2, 2\] has 4 elements but data has 3/,
    );
    expect(() => writeSafetensors(new Map([['bad', { dtype: 'int32', shape: [1], data: new Float32Array(1) }]]))).toThrow(WeightsError);
  });
});

describe('readSafetensors on other dtypes and layouts', () => {
  it('converts F16, BF16, F64 and I64 and handles an unaligned data area', () => {
    const data = new Uint8Array(2 + 2 + 8 + 8);
    const v = new DataView(data.buffer);
    v.setUint16(0, 0x3c00, true); // F16 1.0
    v.setUint16(2, 0x4049, true); // BF16 3.140625
    v.setFloat64(4, -0.25, true);
    v.setBigInt64(12, -7n, true);
    const header = {
      h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] },
      b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] },
      d: { dtype: 'F64', shape: [], data_offsets: [4, 12] },
      l: { dtype: 'I64', shape: [1, 1], data_offsets: [12, 20] },
    };
    for (const pad of [0, 1, 2, 3]) {
      // pad shifts the data area, so the 8-byte values are not aligned for some pads
      const { tensors } = readSafetensors(rawFile(header, data, pad));
      expect([...tensors.get('h')!.data]).toEqual([1]);
      expect([...tensors.get('b')!.data]).toEqual([3.140625]);
      expect([...tensors.get('d')!.data]).toEqual([-0.25]);
      expect(tensors.get('l')!.dtype).toBe('int32');
      expect([...tensors.get('l')!.data]).toEqual([-7]);
    }
  });

  it('reads tensors stored out of header order', () => {
    const data = bytesOf(new Float32Array([1, 2, 3]));
    const header = { a: { dtype: 'F32', shape: [1], data_offsets: [8, 12] }, b: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
    const { tensors } = readSafetensors(rawFile(header, data));
    expect([...tensors.get('a')!.data]).toEqual([3]);
    expect([...tensors.get('b')!.data]).toEqual([1, 2]);
  });
});

describe('readSafetensors rejects broken files with a clear WeightsError', () => {
  const good = writeSafetensors(new Map([['w', f32([4])], ['v', f32([2])]]));
  const data = bytesOf(new Float32Array([1, 2, 3, 4]));
  const cases: [string, Uint8Array, RegExp][] = [
    ['too short', good.subarray(0, 5), /too short for the 8-byte header length/],
    ['truncated data', good.subarray(0, good.length - 3), /tensor "v": data_offsets \[16, 24\] lie outside the data area of 21 bytes \(truncated file\?\)/],
    ['header length beyond the file', (() => {
      const f = good.slice();
      new DataView(f.buffer).setUint32(0, 1_000_000, true);
      return f;
    })(), /header length 1000000 goes past the end of the file/],
    ['huge 64-bit header length', (() => {
      const f = good.slice();
      new DataView(f.buffer).setUint32(4, 1, true);
      return f;
    })(), /goes past the end of the file/],
    ['bad JSON', (() => {
      const f = good.slice();
      f[9] = 0x7b; // '{{' ...
      return f;
    })(), /header is not valid UTF-8 JSON/],
    ['not an object', rawFile([1, 2], new Uint8Array()), /not a JSON object/],
    ['unknown dtype', rawFile({ w: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, data), /tensor "w": unknown dtype "Q4"/],
    ['lying data_offsets', rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data),
      /tensor "w": data_offsets \[0, 16\] span 16 bytes but F32 \[3\] needs 12/],
    ['offsets out of range', rawFile({ w: { dtype: 'F32', shape: [8], data_offsets: [0, 32] } }, data), /outside the data area of 16 bytes/],
    ['reversed offsets', rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, data), /outside the data area/],
    ['overlap', rawFile({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, data), /tensors "a" \[0, 8\] and "b" \[4, 12\] overlap/],
    ['a hole in the data area', rawFile({
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [2], data_offsets: [8, 16] },
    }, data), /the data area has a hole: bytes \[4, 8\) belong to no tensor/],
    ['trailing bytes after the last tensor', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, data),
      /the data area has 4 bytes after the last tensor \(at 12\) that belong to no tensor/],
    ['a tensor name over 1000 characters', rawFile({ ['k'.repeat(1001)]: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, data),
      /a tensor name is 1001 characters long/],
    ['negative shape', rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, data), /shape \[-1\] is not a list of non-negative integers/],
    ['metadata not strings', rawFile({ __metadata__: { n: 3 } }, data), /metadata value "n" is not a string/],
    ['I64 beyond int32', rawFile({ l: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, bytesOf(new BigInt64Array([2n ** 40n]))),
      /tensor "l": int64 value 1099511627776 \(element 0\) does not fit in int32/],
  ];
  for (const [name, file, message] of cases) {
    it(name, () => {
      expect(() => readSafetensors(file)).toThrow(WeightsError);
      expect(() => readSafetensors(file)).toThrow(message);
    });
  }
});
