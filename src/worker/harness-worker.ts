/// <reference lib="webworker" />
/**
 * The test harness's worker: the app's worker plus one hook for e2e tests, `{ type:
 * '__test:loseDevice' }`, which destroys the WebGPU device under the running session so the
 * recovery path can be exercised in a real browser. The app's worker has no such hook.
 */
import * as tf from '@tensorflow/tfjs';
import { startWorker } from './entry';

startWorker(self as unknown as DedicatedWorkerGlobalScope, (data) => {
  if ((data as { type?: string }).type !== '__test:loseDevice') return false;
  const device = (tf.backend() as unknown as { device?: { destroy(): void } }).device;
  if (!device) throw new Error('__test:loseDevice: the current backend has no GPU device');
  device.destroy();
  return true;
});
