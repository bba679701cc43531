/**
 * The four schedules of the run, plotted before it starts. They are built in the worker only (the
 * run's own arrays, or its plan of a config): while a run is active these charts draw the run's,
 * otherwise the plan of the form's config, asked for whenever it changes and validates. The values
 * the run applied, as its metric rows report them, are drawn on top.
 */
import { useEffect, useMemo } from 'react';
import { validateConfig } from '../../shared/config';
import { LineChart, type ChartSeries } from '../charts/LineChart';
import { issueLabels } from './config-fields';
import { useFrameThrottled } from '../charts/hooks';
import { isActive, planSchedules } from './run-actions';
import { useStore } from '../store';

/** Steps per epoch of the dataset: the last partial batch is dropped. */
export function useStepsPerEpoch(): number {
  return useStore((s) => Math.floor((s.workerDataset?.count ?? s.images.length) / Math.max(1, s.config.train.batchSize)));
}

/** The fields with a problem, by label: the worker plans the schedules of a valid config only. */
function useConfigIssues(): string[] {
  const config = useStore((s) => s.config);
  const images = useStore((s) => s.workerDataset?.count ?? s.images.length);
  return useMemo(() => issueLabels(validateConfig(config, images)), [config, images]);
}

/** Typing a number changes the config at every key: ask for a plan once it rests this long. */
const PLAN_DELAY_MS = 150;

/** Asks the worker to plan the form's config whenever it, or the worker's dataset, changes. */
function usePlanRequest(plannable: boolean): void {
  const config = useStore((s) => s.config);
  const workerImages = useStore((s) => s.workerDataset?.count ?? 0);
  useEffect(() => {
    if (!plannable) return;
    const timer = setTimeout(() => planSchedules(config), PLAN_DELAY_MS);
    return () => clearTimeout(timer);
  }, [config, workerImages, plannable]);
}

type PlanKey = 'lr' | 'wd' | 'momentum' | 'teacherTemp';

/** The applied values and the current-step marker move slowly on these scales: redraw every second. */
const SCHEDULE_REDRAW_MS = 1000;

const range = (n: number, scale = 1) => Float64Array.from({ length: n }, (_, i) => i * scale);

export function ScheduleCharts() {
  useFrameThrottled((s) => s.metricsVersion, SCHEDULE_REDRAW_MS);
  const batchSize = useStore((s) => s.config.train.batchSize);
  const step = useFrameThrottled((s) => s.progress?.step ?? null, SCHEDULE_REDRAW_MS);
  const stepsPerEpoch = useStepsPerEpoch();
  const issues = useConfigIssues();
  const active = useStore((s) => isActive(s.progress?.state ?? 'idle'));
  const plannable = !active && issues.length === 0 && stepsPerEpoch >= 1;
  usePlanRequest(plannable);
  const runSchedules = useStore((s) => s.configured?.schedules ?? null);
  const planned = useStore((s) => s.plannedSchedules);
  const schedules = active ? runSchedules : plannable ? planned : null;
  const metrics = useStore.getState().metrics;
  const smoothing = 0;
  const empty =
    issues.length > 0
      ? `Fix ${issues.join(', ')} to plot the schedules`
      : stepsPerEpoch < 1
        ? `Add at least ${batchSize} images (one batch) to plot the schedules`
        : 'Planning the schedules…';

  // Planned lines change only with the schedules; the applied values with every metrics batch.
  const lines = useMemo(() => {
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
    lines
      ? [lines[key], { key: `${key}-applied`, label: 'applied', x: metrics.column('step'), y: metrics.column(key), color: 'var(--c-applied)', raw: true }]
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
