/**
 * The k-NN monitor: while a run trains, every N epochs (a setting) the Train tab's k-NN (official
 * eval_knn rule, k 20, T 0.07, every fifth labelled image held out) is run on the current teacher,
 * as the official code's eval_knn would be run on checkpoints; the points are charted beside the loss.
 */
import { useEffect, useRef } from 'react';
import { evaluateKnn } from './run-actions';
import { useStore } from '../store';

/** The epoch at which the next monitor point is due, given the last one (or null). */
export function nextMonitorEpoch(every: number, lastEpoch: number | null): number {
  return lastEpoch === null ? every : (Math.floor(lastEpoch / every) + 1) * every;
}

export function KnnMonitor() {
  const every = useStore((s) => s.knnMonitorEvery);
  const setEvery = useStore((s) => s.setKnnMonitorEvery);
  const epoch = useStore((s) => s.progress?.epoch ?? 0);
  const state = useStore((s) => s.progress?.state ?? 'idle');
  const labelled = useStore((s) => Object.keys(s.workerDataset?.labels ?? {}).length >= 2);
  const busy = useRef(false);

  useEffect(() => {
    if (every <= 0 || !labelled || busy.current || (state !== 'running' && state !== 'finished')) return;
    const history = useStore.getState().knnHistory;
    const last = history.length ? history[history.length - 1].epoch : null;
    if (epoch < nextMonitorEpoch(every, last)) return;
    busy.current = true;
    const step = useStore.getState().progress?.step ?? 0;
    void evaluateKnn().then(() => {
      busy.current = false;
      const r = useStore.getState().knn;
      if (r) useStore.getState().addKnnPoint({ step, epoch, top1: r.top1, top5: r.top5 });
    });
  }, [every, epoch, state, labelled]);

  return (
    <label className="inline-check" title="Runs the k-NN above on the teacher every N epochs while training and charts it beside the loss">
      <input type="checkbox" aria-label="k-NN monitor" checked={every > 0} onChange={(e) => setEvery(e.target.checked ? 1 : 0)} /> every{' '}
      <input
        type="number"
        min={1}
        step={1}
        value={every || 1}
        disabled={every === 0}
        aria-label="k-NN monitor every (epochs)"
        style={{ width: '4em' }}
        onChange={(e) => setEvery(Math.max(1, Math.round(Number(e.target.value)) || 1))}
      />{' '}
      epochs
    </label>
  );
}
