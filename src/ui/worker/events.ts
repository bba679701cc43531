/** Worker events into the store: one exhaustive switch over the protocol's event union. */
import { runPresets } from '../../shared/config';
import type { WorkerEvent } from '../../shared/protocol';
import { useStore } from '../store';

export function applyEvent(event: WorkerEvent, answered: boolean): void {
  const s = useStore.getState();
  switch (event.type) {
    case 'ready':
      s.setBackend(event.backend, true);
      break;
    case 'backend':
      s.setBackend(event.backend, false);
      break;
    case 'dataset':
      s.setWorkerDataset({ count: event.count, labels: event.labels });
      break;
    case 'configured':
      if (event.preview) s.setPlannedSchedules(event.schedules);
      else s.setConfigured({ config: event.config, schedules: event.schedules, paramCount: event.paramCount });
      break;
    case 'progress':
      s.setProgress(event.progress);
      // "Resumed run at step N, press Resume" is stale once the run moves on or ends.
      if (s.resumedAt !== null && event.progress.state !== 'paused') s.setResumedAt(null);
      break;
    case 'metrics':
      s.appendMetrics(event.rows);
      break;
    case 'weightsLoaded':
      s.setWeightsReport(event.report);
      break;
    case 'restored':
      // Whatever was charted after the restored step no longer describes the model.
      s.truncateMetrics(event.step);
      // The form shows the restored run's config (the worker sent it just before).
      if (s.configured) {
        const same = JSON.stringify(s.configured.config) === JSON.stringify(runPresets[s.preset]);
        s.replaceConfig(s.configured.config, !same);
      }
      s.setDiverged(null);
      if (!answered) s.setResumedAt(event.step);
      break;
    case 'inspecting':
      s.setInspecting({ source: event.source, weightsFile: event.weightsFile });
      break;
    case 'diverged':
      s.setDiverged({ step: event.step, message: event.message, canRollBack: event.canRollBack });
      break;
    case 'error':
      // An error that answers a request is shown by whoever asked (inline or as a toast).
      if (!answered) s.pushToast('error', event.message);
      break;
    case 'featureProgress':
      s.setFeatureProgress({ stage: event.stage, done: event.done, total: event.total, imagesPerSec: event.imagesPerSec, etaSeconds: event.etaSeconds });
      break;
    case 'embedProgress':
      s.setEmbedProgress(event.method, event.iteration, event.total, event.coords);
      break;
    case 'checkpoint':
    case 'exported':
    case 'attention':
    case 'augmentPreview':
    case 'knn':
    case 'features':
    case 'evalKnn':
    case 'embedding':
    case 'neighbors':
    case 'patchViews':
      // Answers to requests: their caller gets them through the request's promise.
      break;
    default: {
      const never: never = event;
      throw new Error(`unknown worker event ${JSON.stringify(never)}`);
    }
  }
}
