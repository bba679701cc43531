/// <reference lib="webworker" />
/**
 * The training worker's entry: a message loop only. Commands are handled one at a time in arrival
 * order, except that pause/stop must be able to interrupt a running loop, so the loop itself yields
 * between steps (see Session).
 */
import { transferables, type WorkerCommand, type WorkerEvent } from '../shared/protocol';
import { Session } from './session';
import { wasmPaths } from './wasm-assets';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const session = new Session(
  (e: WorkerEvent) => scope.postMessage(e, transferables(e)),
  { wasmPaths, crossOriginIsolated: scope.crossOriginIsolated },
);

let queue: Promise<void> = Promise.resolve();

scope.onmessage = (ev: MessageEvent<WorkerCommand>) => {
  const cmd = ev.data;
  // Loop control must not wait behind a long command (the loop runs detached).
  if (cmd.type === 'pause' || cmd.type === 'stop') {
    void session.handle(cmd);
    return;
  }
  queue = queue.then(() => session.handle(cmd));
};
