/**
 * The four schedules of the run, plotted before it starts (computed here from the config, exactly
 * as the worker will, once the config validates) with the values the worker actually applied drawn
 * on top once it runs.
 */
import { useMemo } from 'react';
import { validateConfig, type TrainConfig } from '../../shared/config';
import type { Schedules } from '../../shared/protocol';
import { buildSchedules } from '../../shared/schedule';
import { LineChart, type ChartSeries } from '../charts/LineChart';
import { issueLabels } from '../config-fields';
import { useFrameThrottled } from '../charts/hooks';
import { isActive } from '../run-actions';
import { useStore } from '../store';

/** Steps per epoch of the dataset: the last partial batch is dropped. */
export function useStepsPerEpoch(): number {
  return useStore((s) => Math.floor((s.workerDataset?.count ?? s.images.length) / Math.max(1, s.config.train.batchSize)));
}

/** The worker's schedules while a run is active or when they belong to the config on screen,
 *  else computed here from the form. */
function useSchedules(train: TrainConfig, stepsPerEpoch: number, valid: boolean): Schedules | null {
  const configured = useStore((s) => s.configured);
  const active = useStore((s) => isActive(s.progress?.state ?? 'idle'));
  return useMemo(() => {
    if (configured && (active || JSON.stringify(configured.config.train) === JSON.stringify(train))) return configured.schedules;
    if (!valid || !(stepsPerEpoch >= 1)) return null;
    return buildSchedules(train, stepsPerEpoch);
  }, [configured, active, train, stepsPerEpoch, valid]);
}

/** The optimisation fields with a problem: the schedules are built from these only once valid. */
function useScheduleIssues(): string[] {
  const config = useStore((s) => s.config);
  const images = useStore((s) => s.workerDataset?.count ?? s.images.length);
  return useMemo(
    () => issueLabels(validateConfig(config, images).filter((i) => i.path.startsWith('train.'))),
    [config, images],
  );
}

type PlanKey = 'lr' | 'wd' | 'momentum' | 'teacherTemp';

/** The applied values and the current-step marker move slowly on these scales: redraw every second. */
const SCHEDULE_REDRAW_MS = 1000;

const range = (n: number, scale = 1) => Float64Array.from({ length: n }, (_, i) => i * scale);

export function ScheduleCharts() {
  useFrameThrottled((s) => s.metricsVersion, SCHEDULE_REDRAW_MS);
  const train = useStore((s) => s.config.train);
  const step = useFrameThrottled((s) => s.progress?.step ?? null, SCHEDULE_REDRAW_MS);
  const stepsPerEpoch = useStepsPerEpoch();
  const issues = useScheduleIssues();
  const schedules = useSchedules(train, stepsPerEpoch, issues.length === 0);
  const metrics = useStore.getState().metrics;
  const smoothing = 0;
  const empty =
    issues.length > 0
      ? `Fix ${issues.join(', ')} to plot the schedules`
      : `Add at least ${train.batchSize} images (one batch) to plot the schedules`;

  // Planned lines change only with the schedules; the applied values with every metrics batch.
  const planned = useMemo(() => {
    if (!schedules) return null;
    const steps = range(schedules.lr.length);
    const line = (key: PlanKey, y: Float64Array, x: Float64Array, color: string): ChartSeries => ({ key, label: 'planned', x, y, color, raw: true });
    return {
      lr: line('lr', schedules.lr, steps, 'var(--c-lr)'),
      wd: line('wd', schedules.wd, steps, 'var(--c-wd)'),
      momentum: line('momentum', schedules.momentum, steps, 'var(--c-momentum)'),
      teacherTemp: line('teacherTemp', schedules.teacherTemp, range(schedules.teacherTemp.length, schedules.stepsPerEpoch), 'var(--c-temp)'),
    };
  }, [schedules]);

  const plan = (key: PlanKey): ChartSeries[] =>
    planned
      ? [planned[key], { key: `${key}-applied`, label: 'applied', x: metrics.column('step'), y: metrics.column(key), color: 'var(--c-applied)', raw: true }]
      : [];
  const common = { smoothing, marker: step, emptyText: empty, compact: true };

  return (
    <div className="chart-grid schedules" aria-label="Schedules">
      <LineChart {...common} title="Learning rate" fileName="schedule-lr" yFormat=".2~e" series={plan('lr')} />
      <LineChart {...common} title="Weight decay" fileName="schedule-wd" series={plan('wd')} />
      <LineChart {...common} title="Teacher momentum" fileName="schedule-momentum" yFormat=".5~f" series={plan('momentum')} />
      <LineChart {...common} title="Teacher temperature (per epoch)" fileName="schedule-teacher-temp" series={plan('teacherTemp')} />
    </div>
  );
}
