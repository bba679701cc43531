/**
 * Image import bounds in the browser: a PNG that declares more pixels than the import allows is
 * listed as skipped with its size and the limit, read from its header (no decode), while the
 * photos dropped with it are imported.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { expect, test } from '@playwright/test';
import { collectErrors, dropFiles, imageCount, openApp, sample, waitForDemo } from './helpers';

/** A valid grey PNG of `w` x `h` zero pixels (deflated zeros: a large image in a small file). */
function greyPng(w: number, h: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8; // bit depth; colour type 0 (grey)
  const raw = Buffer.alloc((w + 1) * h); // each row: filter byte 0, then zeros
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

test('an image over the pixel limit is skipped from its header, the others are imported', async ({ page }) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'big-png-'));
  const big = path.join(dir, 'huge.png');
  const png = greyPng(9000, 9000); // 81 MP: 324 MB as RGBA once decoded, a 80 KB file
  expect(png.length).toBeLessThan(200_000);
  writeFileSync(big, png);
  const errors = collectErrors(page);
  await openApp(page);
  const before = await waitForDemo(page);
  await dropFiles(page, page.getByTestId('dropzone'), [
    { name: 'huge.png', type: 'image/png', path: big },
    sample('coffee.png', 'image/png'),
  ]);
  await expect(page.getByTestId('skipped')).toContainText('huge.png: too large: 9000 x 9000 px (81.0 MP); the limit is 50 MP and 16384 px a side');
  await expect.poll(() => imageCount(page)).toBe(before + 1);
  expect(errors).toEqual([]);
});
