/**
 * Metrics slice. The rows live in a mutable column table (typed arrays growing geometrically);
 * `metricsVersion` changes on every append so components can subscribe to "new data" cheaply.
 */
import type { StateCreator } from 'zustand';
import { METRIC_FIELDS, type MetricField, type MetricRow } from '../../shared/protocol';
import { ColumnTable, lowerBound } from '../charts/series';
import type { Store } from './index';

export interface MetricsSlice {
  metrics: ColumnTable<MetricField>;
  metricsVersion: number;
  appendMetrics: (rows: MetricRow[]) => void;
  /** Drop rows after `step` (a restored checkpoint continues from there). */
  truncateMetrics: (step: number) => void;
  resetMetrics: () => void;
}

export const createMetricsSlice: StateCreator<Store, [], [], MetricsSlice> = (set, get) => ({
  metrics: new ColumnTable(METRIC_FIELDS),
  metricsVersion: 0,
  appendMetrics: (rows) => {
    const table = get().metrics;
    for (const r of rows) {
      // A resumed run can resend a step already shown; keep steps strictly increasing.
      const steps = table.column('step');
      if (steps.length > 0 && r.step <= steps[steps.length - 1]) table.truncate(lowerBound(steps, r.step));
      table.push(r);
    }
    set((s) => ({ metricsVersion: s.metricsVersion + 1 }));
  },
  truncateMetrics: (step) => {
    const table = get().metrics;
    table.truncate(lowerBound(table.column('step'), step + 1));
    set((s) => ({ metricsVersion: s.metricsVersion + 1 }));
  },
  resetMetrics: () => {
    get().metrics.clear();
    set((s) => ({ metricsVersion: s.metricsVersion + 1 }));
  },
});

