/**
 * The run's latest step, loss, teacher entropy and KL, said politely to a screen reader. The charts
 * redraw four times a second and metrics arrive every few steps; this speaks at most every
 * ANNOUNCE_MS, and only when a new metrics row has come.
 */
import { format } from 'd3';
import { useFrameThrottled, useThrottled } from '../charts/hooks';
import { ANNOUNCE_MS } from '../charts/summary';
import { useStore } from '../store';
import { useRunK } from './MetricCharts';

const value = format('.3~g');

function latestMetrics(lnK: number): string {
  const m = useStore.getState().metrics;
  const last = m.length - 1;
  if (last < 0) return '';
  const at = (key: 'loss' | 'teacherEntropy' | 'kl') => value(m.column(key)[last]);
  return `Step ${format(',')(m.column('step')[last])}: loss ${at('loss')}, teacher entropy ${at('teacherEntropy')}, KL ${at('kl')} (ln K ${lnK.toFixed(2)}).`;
}

export function RunAnnouncer() {
  useFrameThrottled((s) => s.metricsVersion, 1000);
  const said = useThrottled(latestMetrics(Math.log(useRunK())), ANNOUNCE_MS);
  // Mounted before the first metric arrives: a live region inserted together with its text is not read.
  return (
    <p className="visually-hidden" aria-live="polite" data-testid="metrics-announcer">
      {said}
    </p>
  );
}
