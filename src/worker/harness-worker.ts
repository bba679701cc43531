/// <reference lib="webworker" />
/**
 * The test harness's worker: the app's worker plus hooks for e2e tests, which the app's worker
 * does not have:
 * - `{ type: '__test:loseDevice' }` destroys the WebGPU device under the running session, so the
 *   recovery path can be exercised in a real browser;
 * - `{ type: '__test:pilCrops' }` resizes the PIL reference crops of
 *   src/engine/fixtures/pil-bicubic.json on the current backend and posts them back (HWC, 0..255).
 * - `{ type: '__bench', job }` runs one workload of src/engine/benchmark.ts on the current backend
 *   and posts `{ type: '__bench', result }` (npm run bench).
 */
import * as tf from '@tensorflow/tfjs';
import { augmentCrops, plainCrop } from '../engine/augment';
import { benchFeatures, benchInspect, benchMatMul, benchTrain } from '../engine/benchmark';
import { ImageStore } from '../engine/image-store';
import { installWasmKernels, wasmKernelsRelaxed, wasmKernelThreads } from '../engine/kernels/wasm-kernels';
import type { RunConfig, ViTConfig } from '../shared/config';
import fixture from '../engine/fixtures/pil-bicubic.json';
import { startWorker } from './entry';

const scope = self as unknown as DedicatedWorkerGlobalScope;

async function pilCrops(): Promise<{ expected: number[]; actual: number[] }[]> {
  const store = new ImageStore();
  store.add([{ id: 'img', label: null, width: fixture.width, height: fixture.height, pixels: Uint8Array.from(fixture.pixels) }]);
  const out: { expected: number[]; actual: number[] }[] = [];
  try {
    for (const c of fixture.crops) {
      const src = store.sourceFor(new Int32Array([0]));
      const y = augmentCrops(src.images, new Int32Array([0]), [{ ...plainCrop({ top: c.top, left: c.left, height: c.height, width: c.width }), flip: c.flip }], c.size, 0, 'bicubic');
      const nchw = await y.data();
      tf.dispose(y);
      src.dispose();
      const s = c.size;
      const hwc: number[] = new Array(s * s * 3);
      for (let ch = 0; ch < 3; ch++) for (let p = 0; p < s * s; p++) hwc[p * 3 + ch] = nchw[ch * s * s + p] * 255;
      out.push({ expected: c.pixels, actual: hwc });
    }
  } finally {
    store.dispose();
  }
  return out;
}

type BenchJob =
  | { kind: 'matmul'; size: number }
  /** wasm: reinstall the kernels' plain-SIMD (false) or relaxed-SIMD (true) build, to compare them. */
  | { kind: 'simd'; relaxed: boolean }
  | { kind: 'inspect'; vit: ViTConfig; size: number; reps: number }
  | { kind: 'features'; vit: ViTConfig; size: number; batch: number }
  | { kind: 'train'; config: RunConfig; steps: number; microBatch?: number };

async function bench(job: BenchJob): Promise<unknown> {
  if (job.kind === 'simd') {
    await installWasmKernels(wasmKernelThreads(), job.relaxed);
    return { relaxedSimd: wasmKernelsRelaxed() };
  }
  const wasm = tf.getBackend() === 'wasm';
  const where = { backend: tf.getBackend(), threads: wasm ? wasmKernelThreads() : undefined, relaxedSimd: wasm ? wasmKernelsRelaxed() : undefined };
  if (job.kind === 'matmul') return { ...where, ...(await benchMatMul(job.size)) };
  if (job.kind === 'inspect') return { ...where, ...(await benchInspect(job.vit, job.size, job.reps)) };
  if (job.kind === 'features') return { ...where, ...(await benchFeatures(job.vit, job.size, job.batch)) };
  return { ...where, ...(await benchTrain(job.config, job.steps, undefined, job.microBatch)) };
}

startWorker(scope, (data) => {
  const type = (data as { type?: string }).type;
  if (type === '__test:loseDevice') {
    const device = (tf.backend() as unknown as { device?: { destroy(): void } }).device;
    if (!device) throw new Error('__test:loseDevice: the current backend has no GPU device');
    device.destroy();
    return true;
  }
  if (type === '__test:pilCrops') {
    void pilCrops().then(
      (crops) => scope.postMessage({ type: '__test:pilCrops', backend: tf.getBackend(), crops }),
      (e: Error) => scope.postMessage({ type: 'error', message: `__test:pilCrops: ${e.message}` }),
    );
    return true;
  }
  if (type === '__bench') {
    void bench((data as { job: BenchJob }).job).then(
      (result) => scope.postMessage({ type: '__bench', result }),
      (e: Error) => scope.postMessage({ type: 'error', message: `__bench: ${e.stack ?? e.message}` }),
    );
    return true;
  }
  return false;
});
