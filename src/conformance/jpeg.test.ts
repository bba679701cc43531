import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeJpeg } from './jpeg';

const here = path.dirname(fileURLToPath(import.meta.url));
// Written by PIL itself: scripts/make-jpeg-fixture.py.
const fixture = JSON.parse(readFileSync(path.join(here, 'fixtures/jpeg-pil.json'), 'utf8')) as {
  pil: string;
  cases: { name: string; jpeg: string; width: number; height: number; pixels: number[] }[];
};

describe('baseline JPEG decoder (libjpeg-turbo as PIL uses it)', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: the same bytes as PIL ${fixture.pil}`, () => {
      const img = decodeJpeg(Uint8Array.from(Buffer.from(c.jpeg, 'base64')));
      expect([img.width, img.height]).toEqual([c.width, c.height]);
      let differ = 0;
      img.pixels.forEach((v, i) => (differ += v === c.pixels[i] ? 0 : 1));
      expect(differ).toBe(0);
    });
  }

  it('refuses a progressive file with a message that says so', () => {
    const bytes = Uint8Array.from(Buffer.from(fixture.cases[0].jpeg, 'base64'));
    const i = bytes.findIndex((b, j) => b === 0xff && bytes[j + 1] === 0xc0);
    bytes[i + 1] = 0xc2;
    expect(() => decodeJpeg(bytes)).toThrow(/progressive/);
  });
});
