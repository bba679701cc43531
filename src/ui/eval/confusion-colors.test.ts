import { describe, expect, it } from 'vitest';
import { confusionCell, contrast } from './confusion-colors';

describe('confusion-matrix cell colours', () => {
  it('every share gets text at 4.5:1 or more against its fill', () => {
    let worst = Infinity;
    for (let i = 0; i <= 1000; i++) {
      const { background, color } = confusionCell(i / 1000);
      worst = Math.min(worst, contrast(background, color));
    }
    expect(worst).toBeGreaterThanOrEqual(4.5);
  });

  it('darker fills for larger shares, white text on the darkest', () => {
    expect(contrast(confusionCell(1).background, '#fff')).toBeGreaterThan(contrast(confusionCell(0.5).background, '#fff'));
    expect(confusionCell(0.05).color).toBe('#000');
    expect(confusionCell(1).color).toBe('#fff');
  });

  it('contrast of black on white is 21', () => {
    expect(contrast('#000', '#fff')).toBeCloseTo(21, 6);
  });
});
