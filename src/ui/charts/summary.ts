/**
 * What a chart shows, in words, for someone who cannot see it: each series' value at the current
 * step (the latest point, or the chart's step marker) and the range it has covered. The full data
 * stays in the chart's CSV export.
 */
import { lowerBound } from './series';

/** How often a live summary of the training curves may speak: often enough to follow a run,
 *  rarely enough to leave time to read anything else. */
export const ANNOUNCE_MS = 5000;

export interface SummarySeries {
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface SummaryOptions {
  /** Name of the x axis ("step"). */
  xLabel: string;
  /** Read the series at this x (the last point at or before it) instead of at their ends. */
  at?: number | null;
  /** Labels of the reference lines, already carrying their values ("ln K = 5.55"). */
  refLabels?: string[];
  formatY: (v: number) => string;
  formatX: (v: number) => string;
  /** Said when no series has a point yet. */
  emptyText: string;
}

/** "loss 9.01 at step 120 (range 8.9 to 11.1); ln K = 5.55". */
export function chartSummary(series: SummarySeries[], o: SummaryOptions): string {
  if (!series.some((s) => s.x.length > 0)) return o.emptyText;
  const y = (v: number) => (Number.isFinite(v) ? o.formatY(v) : String(v));
  const parts = series.map((s) => {
    const n = s.x.length;
    if (n === 0) return `${s.label}: no values yet`;
    const i = o.at == null ? n - 1 : Math.max(0, Math.min(n, lowerBound(s.x, o.at + 1e-9)) - 1);
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = 0; k < n; k++) {
      const v = s.y[k];
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const range = lo < hi ? ` (range ${y(lo)} to ${y(hi)})` : '';
    return `${s.label} ${y(s.y[i])} at ${o.xLabel} ${o.formatX(s.x[i])}${range}`;
  });
  return [...parts, ...(o.refLabels ?? [])].join('; ');
}
