import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { WeightsError } from './errors';
import { golden } from '../../test-support/weights';
import { crc32, openZip, writeZip } from './zip';

/** Offset of each entry's data, read from the central directory and local headers. */
function dataOffsets(zip: Uint8Array): Map<string, number> {
  const v = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const eocd = zip.length - 22;
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const out = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const nameLen = v.getUint16(p + 28, true);
    const name = new TextDecoder().decode(zip.subarray(p + 46, p + 46 + nameLen));
    const local = v.getUint32(p + 42, true);
    out.set(name, local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true));
    p += 46 + nameLen + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return out;
}

const text = (s: string) => new TextEncoder().encode(s);

describe('zip', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(text('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array())).toBe(0);
  });

  it('round-trips entries and aligns every entry to 64 bytes', () => {
    const entries = [
      { name: 'a/data.pkl', data: text('pickle') },
      { name: 'a/data/0', data: Uint8Array.from({ length: 1000 }, (_, i) => i % 251) },
      { name: 'a/data/10', data: new Uint8Array(0) },
      { name: 'a/version', data: text('3\n') },
    ];
    const bytes = writeZip(entries);
    const zip = openZip(bytes);
    expect(zip.names).toEqual(entries.map((e) => e.name));
    for (const e of entries) expect(zip.read(e.name)).toEqual(e.data);
    for (const [name, offset] of dataOffsets(bytes)) expect(offset % 64, name).toBe(0);
  });

  it('reads torch.save archives, whose entries use data descriptors and padding', () => {
    const zip = openZip(golden('backbone.pth'));
    expect(zip.names).toContain('backbone/data.pkl');
    expect(new TextDecoder().decode(zip.read('backbone/version'))).toBe('3\n');
    expect(zip.size('backbone/data/0')).toBe(192);
  });

  it('reads deflated entries (an archive re-zipped by another tool)', () => {
    const payload = new Uint8Array(5000).fill(7);
    const zip = openZip(zipSync({ 'x/data.pkl': payload }, { level: 6 }));
    expect(zip.read('x/data.pkl')).toEqual(payload);
  });

  it('detects corrupt entry data through the CRC', () => {
    const bytes = writeZip([{ name: 'a/b', data: text('hello world') }]);
    bytes[dataOffsets(bytes).get('a/b')!] ^= 1;
    expect(() => openZip(bytes, 'PyTorch file').read('a/b')).toThrow(/PyTorch file: entry "a\/b" is corrupt \(CRC mismatch\)/);
  });

  it('fails cleanly on truncated, empty and non-zip input', () => {
    const bytes = writeZip([{ name: 'a/b', data: new Uint8Array(100) }]);
    for (const cut of [0, 10, 60, bytes.length - 30, bytes.length - 1]) {
      expect(() => openZip(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(WeightsError);
    }
    expect(() => openZip(text('definitely not a zip file, but long enough'))).toThrow(/no end-of-central-directory record/);
  });

  it('refuses entries that run past the file', () => {
    const bytes = writeZip([{ name: 'a/b', data: new Uint8Array(100) }]);
    const v = new DataView(bytes.buffer);
    const cd = v.getUint32(bytes.length - 22 + 16, true);
    v.setUint32(cd + 20, 5000, true); // compressed size
    v.setUint32(cd + 24, 5000, true);
    expect(() => openZip(bytes)).toThrow(/entry "a\/b" runs past the end of the file/);
  });

  it('bounds what all entries together inflate to (4x the file plus 64 MiB), before allocating', () => {
    const zeros = new Uint8Array(60 * 2 ** 20);
    const bomb = zipSync({ a: [zeros, { level: 9 }], b: [zeros, { level: 9 }] });
    expect(bomb.length).toBeLessThan(200_000);
    const zip = openZip(bomb);
    expect(zip.read('a').length).toBe(zeros.length); // 60 MiB fits in 4 x 120 KB + 64 MiB once, not twice
    expect(() => zip.read('b')).toThrow(/entry "b" would inflate to 62914560 bytes, beyond what a file of \d+ bytes may hold/);
    expect(() => openZip(bomb, 'zip', { inflateBudget: 1000 }).read('a')).toThrow(/inflate budget/);
  });

  it('refuses entries that share bytes (many directory entries pointing at one stream)', () => {
    const bytes = writeZip([{ name: 'a', data: new Uint8Array(100) }, { name: 'b', data: new Uint8Array(100) }]);
    const v = new DataView(bytes.buffer);
    const cd = v.getUint32(bytes.length - 22 + 16, true);
    const second = cd + 46 + 1; // 'a' has a one-character name and no extra field
    v.setUint32(second + 42, v.getUint32(cd + 42, true), true); // b's local header offset := a's
    v.setUint8(second + 46, 'c'.charCodeAt(0));
    expect(() => openZip(bytes)).toThrow(/entries "a" and "c" overlap/);
  });
});
