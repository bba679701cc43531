/** Training commands from buttons and shortcuts: what each means depends on the run state. */
import { validateConfig, type RunConfig } from '../../shared/config';
import type { BackendChoice, ModelSource, RunState } from '../../shared/protocol';
import { download } from '../common/download';
import { useStore } from '../store';
import { client } from '../worker/worker-client';

const ACTIVE: RunState[] = ['running', 'paused'];

export function runState(): RunState {
  return useStore.getState().progress?.state ?? 'idle';
}

/** Why Start is not possible now, or null. Shown next to the disabled button. */
export function startBlocker(s = useStore.getState()): string | null {
  if (s.experimentStatus === 'running') return 'The collapse experiment is running';
  if (s.importProgress) return 'Wait for the import to finish (the run trains on a fixed dataset)';
  if (s.preset === 'official' && !s.configModified) {
    return 'The official preset is for export only: far too big to train in a browser. Pick nano or tiny.';
  }
  const count = s.workerDataset?.count ?? s.images.length;
  const errors = validateConfig(s.config, count);
  if (errors.length > 0) return `Fix ${errors.length} problem${errors.length > 1 ? 's' : ''} in the configuration first`;
  if (count < s.config.train.batchSize) {
    return `Need at least ${s.config.train.batchSize} images (the batch size); the dataset has ${count}`;
  }
  if (s.fromWeights && !s.weightsReport) return 'Starting from loaded weights, but none are loaded (Weights tab)';
  return null;
}

/** Configure the worker with the current config and start a fresh run. */
export function startRun(): void {
  const s = useStore.getState();
  if (startBlocker(s)) return;
  s.resetMetrics();
  s.setZoom(null);
  s.setDiverged(null);
  s.setResumedAt(null);
  client.send({ type: 'configure', config: s.config });
  client.send({ type: 'start', fromWeights: s.fromWeights && s.weightsReport !== null });
}

/** Ask the worker to plan the schedules of a config (the form's): it answers with a preview,
 *  which the schedule charts draw; the worker's own config is left as it is. */
export const planSchedules = (config: RunConfig) => client.send({ type: 'configure', config, preview: true });

export const pauseRun = () => client.send({ type: 'pause' });
export const resumeRun = () => client.send({ type: 'resume' });

/** One step: of the paused run, or the first step of a new run when nothing ran yet. */
export function stepRun(): void {
  const s = useStore.getState();
  if (runState() === 'idle') {
    if (startBlocker(s)) return;
    s.resetMetrics();
    client.send({ type: 'configure', config: s.config });
  }
  client.send({ type: 'step' });
}
export const stopRun = () => client.send({ type: 'stop' });

/** Inspect the run or the loaded weights (the model switch beside every view that shows one). */
export const inspectSource = (source: ModelSource) => client.send({ type: 'inspectSource', source });

/** Space: start when nothing runs, otherwise pause/resume. */
export function toggleRun(): void {
  const state = runState();
  if (state === 'running') pauseRun();
  else if (state === 'paused') resumeRun();
  else startRun();
}

export function isActive(state: RunState): boolean {
  return ACTIVE.includes(state);
}

export function setBackend(choice: BackendChoice): void {
  useStore.getState().setBackendChoice(choice);
  client.send({ type: 'setBackend', backend: choice });
}

/** Ask the worker to restore a checkpoint: the last stored one (null) or a file's bytes.
 *  Resolves to the refusal's message (also shown as a toast), or null once restored. */
export async function restoreCheckpoint(bytes: ArrayBuffer | null): Promise<string | null> {
  const s = useStore.getState();
  try {
    const r = await client.request<'restoreCheckpoint'>({ type: 'restoreCheckpoint', bytes });
    s.pushToast('info', bytes ? `Checkpoint restored at step ${r.step}` : `Rolled back to the last good checkpoint (step ${r.step})`);
    return null;
  } catch (e) {
    s.pushToast('error', (e as Error).message);
    return (e as Error).message;
  }
}

export async function downloadCheckpoint(): Promise<void> {
  try {
    const r = await client.request<'saveCheckpoint'>({ type: 'saveCheckpoint' });
    download(r.bytes, r.fileName);
  } catch (e) {
    useStore.getState().pushToast('error', (e as Error).message);
  }
}

export async function exportWeights(format: 'official-checkpoint' | 'teacher-backbone' | 'teacher-safetensors'): Promise<void> {
  try {
    const r = await client.request<'exportWeights'>({ type: 'exportWeights', format });
    download(r.bytes, r.fileName);
  } catch (e) {
    useStore.getState().pushToast('error', (e as Error).message);
  }
}

export async function evaluateKnn(k = 20, temperature = 0.07): Promise<void> {
  const s = useStore.getState();
  s.setKnn(s.knn, true);
  try {
    const r = await client.request<'knn'>({ type: 'knn', k, temperature });
    s.setKnn({ top1: r.top1, top5: r.top5, nTrain: r.nTrain, nTest: r.nTest, step: useStore.getState().progress?.step ?? 0, model: r.model }, false);
  } catch (e) {
    s.setKnn(useStore.getState().knn, false);
    s.pushToast('error', `k-NN: ${(e as Error).message}`);
  }
}
