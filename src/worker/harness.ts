/** Test page: exposes the real training worker to Playwright without the UI in between. */
import { transferables, type WorkerCommand, type WorkerEvent } from '../shared/protocol';

const worker = new Worker(new URL('./harness-worker.ts', import.meta.url), { type: 'module' });
const events: WorkerEvent[] = [];
worker.onmessage = (ev: MessageEvent<WorkerEvent>) => events.push(ev.data);

(window as unknown as { harness: unknown }).harness = {
  events,
  /** Test hook of harness-worker.ts: destroys the worker's WebGPU device. */
  loseDevice() {
    worker.postMessage({ type: '__test:loseDevice' });
  },
  /** Test hook of harness-worker.ts: the PIL reference crops, resized on the worker's backend. */
  pilCrops() {
    worker.postMessage({ type: '__test:pilCrops' });
  },
  /** Hook of harness-worker.ts: one benchmark workload (npm run bench). */
  bench(job: unknown) {
    worker.postMessage({ type: '__bench', job });
  },
  send(cmd: WorkerCommand) {
    worker.postMessage(cmd, transferables(cmd));
  },
  /** Sends images given as RGB arrays (Playwright cannot pass typed arrays directly). */
  sendImages(images: { id: string; label: string | null; width: number; height: number; pixels: number[] }[], replace: boolean) {
    const cmd: WorkerCommand = {
      type: 'loadImages',
      replace,
      images: images.map((i) => ({ ...i, pixels: Uint8Array.from(i.pixels) })),
    };
    worker.postMessage(cmd, transferables(cmd));
  },
};
