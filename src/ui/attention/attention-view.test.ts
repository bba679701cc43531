import { describe, expect, it } from 'vitest';
import { attentionSize, colormapLut, heatmapRgba, meanOverHeads, parseColor, patchQuery, queryPatch, thresholdMasks } from './attention-view';

describe('attentionSize', () => {
  it('rounds a square target down to the patch', () => {
    expect(attentionSize(451, 300, 224, 'square', 16)).toEqual([224, 224]);
    expect(attentionSize(451, 300, 230, 'square', 16)).toEqual([224, 224]);
  });

  it('keeps the aspect with the longer side at the target', () => {
    // chelsea.png is 451 x 300: 448 wide -> 297.9 high -> 296 (multiple of 8)
    expect(attentionSize(451, 300, 448, 'keep-aspect', 8)).toEqual([296, 448]);
    expect(attentionSize(300, 451, 448, 'keep-aspect', 16)).toEqual([448, 288]);
  });

  it('never returns less than one patch', () => {
    expect(attentionSize(1000, 10, 32, 'keep-aspect', 16)).toEqual([16, 32]);
  });
});

describe('queries', () => {
  it('maps patches to tokens and back', () => {
    expect(patchQuery(0, 0, 14)).toBe(1);
    expect(patchQuery(2, 3, 14)).toBe(32);
    expect(queryPatch(32, 14)).toEqual([2, 3]);
    expect(queryPatch(0, 14)).toBeNull();
  });
});

describe('meanOverHeads', () => {
  it('averages each patch over the heads', () => {
    const maps = Float32Array.from([1, 2, 3, 4, 3, 2, 1, 0]); // 2 heads x 4 patches
    expect(Array.from(meanOverHeads(maps, 2))).toEqual([2, 2, 2, 2]);
  });
});

describe('thresholdMasks', () => {
  it('keeps the smallest top set reaching the mass', () => {
    // head 0: 0.5, 0.3, 0.15, 0.05 -> 60% needs the top two (0.5 + 0.3 = 0.8)
    // head 1 (unnormalised, sums to 2): 1.4, 0.2, 0.2, 0.2 -> 0.7 alone reaches 60%
    const maps = Float32Array.from([0.5, 0.15, 0.3, 0.05, 0.2, 1.4, 0.2, 0.2]);
    expect(Array.from(thresholdMasks(maps, 2, 0.6))).toEqual([1, 0, 1, 0, 0, 1, 0, 0]);
  });

  it('keeps everything at 100% and an exact boundary stops there', () => {
    const maps = Float32Array.from([0.25, 0.25, 0.25, 0.25]);
    expect(Array.from(thresholdMasks(maps, 1, 1))).toEqual([1, 1, 1, 1]);
    expect(Array.from(thresholdMasks(maps, 1, 0.5))).toEqual([1, 1, 0, 0]);
  });

  it('leaves an all-zero head empty', () => {
    expect(Array.from(thresholdMasks(new Float32Array(3), 1, 0.6))).toEqual([0, 0, 0]);
  });
});

describe('heatmaps', () => {
  it('parses the colours d3 interpolators return', () => {
    expect(parseColor('rgb(68, 1, 84)')).toEqual([68, 1, 84]);
    expect(parseColor('#fde725')).toEqual([253, 231, 37]);
  });

  it('normalises min..max onto the colour map with the given opacity and mask', () => {
    const grey = (t: number) => `rgb(${Math.round(t * 255)}, 0, 0)`;
    const lut = colormapLut(grey);
    const rgba = heatmapRgba([2, 4, 6], lut, 0.5, [1, 1, 0]);
    expect(Array.from(rgba)).toEqual([0, 0, 0, 128, 128, 0, 0, 128, 255, 0, 0, 0]);
  });
});
