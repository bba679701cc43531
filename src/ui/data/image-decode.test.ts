import { describe, expect, it } from 'vitest';
import { fitWithin, rgbaToRgb, rgbToRgba } from './image-decode';

describe('fitWithin', () => {
  it('scales the longer side down to the limit, keeping the aspect', () => {
    expect(fitWithin(512, 512, 256)).toEqual([256, 256]);
    expect(fitWithin(451, 300, 256)).toEqual([256, 170]); // 300 * 256 / 451 = 170.3
    expect(fitWithin(300, 451, 256)).toEqual([170, 256]);
  });

  it('never upscales and never returns 0', () => {
    expect(fitWithin(28, 28, 256)).toEqual([28, 28]);
    expect(fitWithin(10000, 1, 256)).toEqual([256, 1]);
  });
});

describe('rgba <-> rgb', () => {
  it('drops alpha and adds it back opaque', () => {
    const rgba = Uint8ClampedArray.from([1, 2, 3, 0, 4, 5, 6, 255]);
    const rgb = rgbaToRgb(rgba);
    expect(Array.from(rgb)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(rgbToRgba(rgb))).toEqual([1, 2, 3, 255, 4, 5, 6, 255]);
  });
});
