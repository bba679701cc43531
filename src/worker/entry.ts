/// <reference lib="webworker" />
/**
 * The training worker's message loop, shared by the app's worker and the test harness's. Commands
 * are handled one at a time in arrival order, except that pause/stop must be able to interrupt a
 * running loop, so the loop itself yields between steps (see Session).
 */
import { transferables, type WorkerCommand, type WorkerEvent } from '../shared/protocol';
import { Session } from './session';
import { wasmPaths } from './wasm-assets';

/** `extra` sees each message first and returns true when it handled it (test hooks only). */
export function startWorker(scope: DedicatedWorkerGlobalScope, extra?: (data: unknown) => boolean): Session {
  const session = new Session(
    (e: WorkerEvent) => scope.postMessage(e, transferables(e)),
    { wasmPaths, crossOriginIsolated: scope.crossOriginIsolated },
  );
  let queue: Promise<void> = Promise.resolve();
  // A lost GPU device is handled like a command: after the one in progress, before the next.
  session.onDeviceLost = (loss) => {
    queue = queue.then(() => session.recoverFromDeviceLoss(loss));
  };
  scope.onmessage = (ev: MessageEvent<WorkerCommand>) => {
    if (extra?.(ev.data)) return;
    const cmd = ev.data;
    // Loop control must not wait behind a long command (the loop runs detached), nor may cancelling
    // a feature extraction or t-SNE (they yield between batches / iterations to let it in).
    if (cmd.type === 'pause' || cmd.type === 'stop' || cmd.type === 'cancelEval') {
      void session.handle(cmd);
      return;
    }
    queue = queue.then(() => session.handle(cmd));
  };
  return session;
}
