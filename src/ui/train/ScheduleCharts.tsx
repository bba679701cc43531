/**
 * The four schedules of the run, plotted before it starts (computed here from the config, exactly
 * as the worker will) with the values the worker actually applied drawn on top once it runs.
 */
import { useMemo } from 'react';
import type { TrainConfig } from '../../shared/config';
import type { Schedules } from '../../shared/protocol';
import { buildSchedules } from '../../shared/schedule';
import { LineChart, type ChartSeries } from '../charts/LineChart';
import { useFrameThrottled } from '../charts/hooks';
import { useStore } from '../store';
import type { MetricField } from '../store/metrics';

/** Steps per epoch of the dataset: the last partial batch is dropped. */
export function useStepsPerEpoch(): number {
  return useStore((s) => Math.floor((s.workerDataset?.count ?? s.images.length) / Math.max(1, s.config.train.batchSize)));
}

/** The worker's schedules when they belong to the config on screen, else computed here. */
function useSchedules(train: TrainConfig, stepsPerEpoch: number): Schedules | null {
  const configured = useStore((s) => s.configured);
  return useMemo(() => {
    if (configured && JSON.stringify(configured.config.train) === JSON.stringify(train)) return configured.schedules;
    if (stepsPerEpoch < 1) return null;
    return buildSchedules(train, stepsPerEpoch);
  }, [configured, train, stepsPerEpoch]);
}

const range = (n: number, scale = 1) => Float64Array.from({ length: n }, (_, i) => i * scale);

export function ScheduleCharts() {
  useFrameThrottled((s) => s.metricsVersion);
  const train = useStore((s) => s.config.train);
  const step = useStore((s) => s.progress?.step ?? null);
  const stepsPerEpoch = useStepsPerEpoch();
  const schedules = useSchedules(train, stepsPerEpoch);
  const metrics = useStore.getState().metrics;
  const smoothing = 0;
  const empty = `Add at least ${train.batchSize} images (one batch) to plot the schedules`;

  const charts = useMemo(() => {
    if (!schedules) return null;
    const steps = range(schedules.lr.length);
    const epochs = range(schedules.teacherTemp.length, schedules.stepsPerEpoch);
    return {
      lr: { x: steps, y: schedules.lr },
      wd: { x: steps, y: schedules.wd },
      momentum: { x: steps, y: schedules.momentum },
      teacherTemp: { x: epochs, y: schedules.teacherTemp },
    };
  }, [schedules]);

  const plan = (key: keyof NonNullable<typeof charts>, label: string, color: string): ChartSeries[] => {
    const applied: ChartSeries = { key: `${key}-applied`, label: 'applied', x: metrics.column('step'), y: metrics.column(key as MetricField), color: 'var(--c-applied)', raw: true };
    return charts ? [{ key, label, x: charts[key].x, y: charts[key].y, color, raw: true }, applied] : [];
  };
  const common = { smoothing, marker: step, emptyText: empty, compact: true };

  return (
    <div className="chart-grid schedules" aria-label="Schedules">
      <LineChart {...common} title="Learning rate" fileName="schedule-lr" yFormat=".2~e" series={plan('lr', 'planned', 'var(--c-lr)')} />
      <LineChart {...common} title="Weight decay" fileName="schedule-wd" series={plan('wd', 'planned', 'var(--c-wd)')} />
      <LineChart {...common} title="Teacher momentum" fileName="schedule-momentum" yFormat=".5~f" series={plan('momentum', 'planned', 'var(--c-momentum)')} />
      <LineChart {...common} title="Teacher temperature (per epoch)" fileName="schedule-teacher-temp" series={plan('teacherTemp', 'planned', 'var(--c-temp)')} />
    </div>
  );
}
