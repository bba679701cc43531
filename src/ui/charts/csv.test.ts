import { describe, expect, it } from 'vitest';
import { columnsToCsv, seriesToCsv } from './csv';

describe('columnsToCsv', () => {
  it('writes a header and one row per index at full precision', () => {
    const csv = columnsToCsv(['step', 'loss'], [[1, 2], [6.931471805599453, NaN]]);
    expect(csv).toBe('step,loss\n1,6.931471805599453\n2,NaN\n');
  });

  it('quotes cells with commas or quotes and leaves short columns empty', () => {
    const csv = columnsToCsv(['a,b', 'say "hi"'], [[1, 2], [3]]);
    expect(csv).toBe('"a,b","say ""hi"""\n1,3\n2,\n');
  });
});

describe('seriesToCsv', () => {
  it('is wide when all series share x', () => {
    const x = [0, 5];
    expect(seriesToCsv('step', [{ name: 'H', x, y: [1, 2] }, { name: 'KL', x: [0, 5], y: [0.5, 0.25] }])).toBe(
      'step,H,KL\n0,1,0.5\n5,2,0.25\n',
    );
  });

  it('is long when the x values differ', () => {
    const csv = seriesToCsv('step', [
      { name: 'lr', x: [0, 1], y: [0.1, 0.2] },
      { name: 'temp', x: [0], y: [0.04] },
    ]);
    expect(csv).toBe('series,step,value\nlr,0,0.1\nlr,1,0.2\ntemp,0,0.04\n');
  });
});
