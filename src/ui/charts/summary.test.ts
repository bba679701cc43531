import { describe, expect, it } from 'vitest';
import { chartSummary, type SummaryOptions } from './summary';

const options: SummaryOptions = { xLabel: 'step', formatY: (v) => v.toFixed(2), formatX: (v) => String(v), emptyText: 'No data yet' };

describe('chartSummary', () => {
  it('says the latest value of each series with its step and range, then the reference lines', () => {
    const text = chartSummary(
      [
        { label: 'teacher entropy', x: [0, 5, 10], y: [5.5, 4.25, 4.5] },
        { label: 'KL', x: [0, 5, 10], y: [0.01, 0.2, 0.125] },
      ],
      { ...options, refLabels: ['ln K = 5.55'] },
    );
    expect(text).toBe('teacher entropy 4.50 at step 10 (range 4.25 to 5.50); KL 0.13 at step 10 (range 0.01 to 0.20); ln K = 5.55');
  });

  it('reads a planned series at the marker step, not at its end', () => {
    const text = chartSummary([{ label: 'planned', x: [0, 1, 2, 3], y: [0, 1, 2, 3] }], { ...options, at: 2 });
    expect(text).toBe('planned 2.00 at step 2 (range 0.00 to 3.00)');
  });

  it('keeps NaN visible and out of the range', () => {
    expect(chartSummary([{ label: 'loss', x: [1, 2, 3], y: [2, 1, NaN] }], options)).toBe('loss NaN at step 3 (range 1.00 to 2.00)');
  });

  it('a single point has no range; a series without points says so; no points at all gives the empty text', () => {
    expect(chartSummary([{ label: 'loss', x: [4], y: [3] }, { label: 'applied', x: [], y: [] }], options)).toBe('loss 3.00 at step 4; applied: no values yet');
    expect(chartSummary([{ label: 'loss', x: [], y: [] }], options)).toBe('No data yet');
  });
});
