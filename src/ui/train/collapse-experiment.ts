/**
 * The collapse experiment of the DINO paper (figure 7), in miniature: three short runs with the
 * same seed and config except centering/sharpening, their teacher entropy and KL side by side.
 * The UI drives it through the ordinary protocol: configure, start, wait for N steps, stop, next.
 */
import type { RunConfig } from '../../shared/config';
import { useStore } from '../store';
import type { ExperimentRun } from '../store/experiment';
import { client } from '../worker/worker-client';

export const COLLAPSE_RUNS: { key: ExperimentRun['key']; title: string; centering: boolean; sharpening: boolean }[] = [
  { key: 'no-centering', title: 'Sharpening only (centering off)', centering: false, sharpening: true },
  { key: 'no-sharpening', title: 'Centering only (sharpening off)', centering: true, sharpening: false },
  { key: 'both', title: 'Centering + sharpening (DINO)', centering: true, sharpening: true },
];

/** Config of one experiment run: enough epochs for `steps`, metrics dense enough for a curve. */
export function experimentConfig(base: RunConfig, steps: number, stepsPerEpoch: number, run: (typeof COLLAPSE_RUNS)[number]): RunConfig {
  const epochs = Math.max(base.train.epochs, Math.ceil(steps / Math.max(1, stepsPerEpoch)));
  const metricsEvery = Math.max(1, Math.min(base.train.metricsEvery, Math.floor(steps / 30)));
  return { ...base, train: { ...base.train, epochs, metricsEvery, centering: run.centering, sharpening: run.sharpening } };
}

let cancelled = false;

export function cancelCollapseExperiment(): void {
  cancelled = true;
  client.send({ type: 'stop' });
}

/** Resolves when the predicate holds for the store (checked on every change) or when cancelled. */
function until(pred: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred() || cancelled) return resolve();
    const unsub = useStore.subscribe(() => {
      if (pred() || cancelled) {
        unsub();
        resolve();
      }
    });
  });
}

function snapshot(run: (typeof COLLAPSE_RUNS)[number], note: string | null): ExperimentRun {
  const m = useStore.getState().metrics;
  return {
    key: run.key,
    title: run.title,
    steps: m.column('step').slice(),
    entropy: m.column('teacherEntropy').slice(),
    kl: m.column('kl').slice(),
    loss: m.column('loss').slice(),
    note,
  };
}

export async function runCollapseExperiment(): Promise<void> {
  const s = useStore.getState();
  const steps = s.experimentSteps;
  const stepsPerEpoch = Math.floor((s.workerDataset?.count ?? s.images.length) / s.config.train.batchSize);
  if (stepsPerEpoch < 1) {
    s.pushToast('error', `The collapse experiment needs at least ${s.config.train.batchSize} images (one batch)`);
    return;
  }
  cancelled = false;
  const idle = () => !['running', 'paused'].includes(useStore.getState().progress?.state ?? 'idle');
  if (!idle()) {
    client.send({ type: 'stop' });
    await until(idle);
  }
  const results: ExperimentRun[] = [];
  s.setExperimentRuns([]);
  for (let i = 0; i < COLLAPSE_RUNS.length && !cancelled; i++) {
    const run = COLLAPSE_RUNS[i];
    s.setExperimentStatus('running', i);
    s.resetMetrics();
    s.setDiverged(null);
    useStore.setState({ progress: null }); // so only this run's progress events end the waits below
    client.send({ type: 'configure', config: experimentConfig(s.config, steps, stepsPerEpoch, run) });
    client.send({ type: 'start', fromWeights: false });
    // Wait for the run to start, then for N steps of metrics or an early end.
    await until(() => ['running', 'finished', 'error'].includes(useStore.getState().progress?.state ?? ''));
    await until(() => {
      const st = useStore.getState();
      const stepCol = st.metrics.column('step');
      const last = stepCol.length > 0 ? stepCol[stepCol.length - 1] : 0;
      return last >= steps || st.diverged !== null || ['finished', 'error', 'stopped'].includes(st.progress?.state ?? '');
    });
    const st = useStore.getState();
    const note = st.diverged ? `diverged at step ${st.diverged.step}` : st.progress?.state === 'error' ? 'stopped by an error' : null;
    results.push(snapshot(run, note));
    s.setExperimentRuns([...results]);
    client.send({ type: 'stop' });
    await until(idle);
  }
  s.setExperimentStatus(cancelled ? 'cancelled' : 'done');
}
