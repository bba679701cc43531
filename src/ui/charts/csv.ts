/** CSV text for chart and metric exports (RFC 4180 quoting, full float precision). */

export interface CsvSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

function cell(v: string | number | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'number') return String(v); // shortest round-trip form; NaN and Infinity stay readable
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One column per array, one row per index; shorter columns leave empty cells. */
export function columnsToCsv(header: string[], columns: ArrayLike<number>[]): string {
  const rows = Math.max(0, ...columns.map((c) => c.length));
  const lines = [header.map(cell).join(',')];
  for (let i = 0; i < rows; i++) {
    lines.push(columns.map((c) => cell(i < c.length ? c[i] : undefined)).join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * Series of a chart as CSV: wide (x, then one column per series) when every series has the same
 * x values, long (series, x, y) otherwise, so nothing is interpolated or dropped.
 */
export function seriesToCsv(xName: string, series: CsvSeries[]): string {
  if (series.length === 0) return `${cell(xName)}\n`;
  const x0 = series[0].x;
  const sameX = series.every(
    (s) => s.x === x0 || (s.x.length === x0.length && Array.prototype.every.call(s.x, (v: number, i: number) => v === x0[i])),
  );
  if (sameX) return columnsToCsv([xName, ...series.map((s) => s.name)], [x0, ...series.map((s) => s.y)]);
  const lines = [['series', xName, 'value'].map(cell).join(',')];
  for (const s of series) {
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) lines.push([cell(s.name), cell(s.x[i]), cell(s.y[i])].join(','));
  }
  return lines.join('\n') + '\n';
}
