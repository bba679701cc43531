import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pilBicubicTaps, resizeRgb8 } from './pil-resample';

// Reference crops written by PIL itself: scripts/make-pil-fixture.py (img.crop(...).resize((S, S), BICUBIC)).
const fixture = JSON.parse(readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/pil-bicubic.json'), 'utf8')) as {
  pil: string;
  width: number;
  height: number;
  pixels: number[];
  crops: { top: number; left: number; height: number; width: number; size: number; flip: boolean; pixels: number[] }[];
};

function cropRgb(px: number[], w: number, c: { top: number; left: number; height: number; width: number }): Uint8Array {
  const out = new Uint8Array(c.width * c.height * 3);
  for (let y = 0; y < c.height; y++) for (let x = 0; x < c.width; x++) for (let ch = 0; ch < 3; ch++) out[(y * c.width + x) * 3 + ch] = px[((c.top + y) * w + c.left + x) * 3 + ch];
  return out;
}

describe('pil-resample', () => {
  it('taps are normalised and centred: sum 1, and 1:1 is the identity', () => {
    for (const [a, b] of [[29, 8], [7, 16], [41, 41], [300, 256]]) {
      const t = pilBicubicTaps(a, b);
      for (let k = 0; k < b; k++) {
        let s = 0;
        for (let j = 0; j < t.count[k]; j++) s += t.weights[k * t.maxTaps + j];
        expect(s).toBeCloseTo(1, 12);
      }
    }
    const id = resizeRgb8(Uint8Array.from(fixture.pixels), fixture.width, fixture.height, fixture.width, fixture.height);
    expect(Array.from(id)).toEqual(fixture.pixels);
  });

  it(`resizeRgb8 equals PIL ${fixture.pil} to the bit (fixed-point passes) on every fixture crop`, () => {
    let differ = 0;
    let total = 0;
    for (const c of fixture.crops) {
      const src = cropRgb(fixture.pixels, fixture.width, c);
      const out = resizeRgb8(src, c.width, c.height, c.size, c.size);
      for (let y = 0; y < c.size; y++) {
        for (let x = 0; x < c.size; x++) {
          const sx = c.flip ? c.size - 1 - x : x; // the fixture flips after resizing
          for (let ch = 0; ch < 3; ch++) differ += out[(y * c.size + sx) * 3 + ch] === c.pixels[(y * c.size + x) * 3 + ch] ? 0 : 1;
        }
      }
      total += c.size * c.size * 3;
    }
    expect(total).toBeGreaterThan(1000);
    expect(differ).toBe(0);
  });
});
