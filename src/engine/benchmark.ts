/**
 * The workloads `npm run bench` times, run by the engine wherever it lives (the browser worker,
 * Node): the inspector's request (last-block CLS attention of every head) on a released backbone
 * with random weights, DINO training steps, and a large matMul as the backend's reference speed.
 * FLOPs are counted from the shapes (a multiply-add is 2), so GFLOP/s compare with any engine.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, RunConfig, ViTConfig } from '../shared/config';
import { attentionMaps } from './attention-maps';
import { DinoRun } from './dino-run';
import { ImageStore } from './image-store';
import { headShapes } from '../shared/param-shapes';
import { wasmHeapBytes } from './kernels/wasm-kernels';
import { initDinoParams, type Params } from './params';
import { vitCls } from './vit';
import { Rng } from '../shared/rng';

/** Forward FLOPs of the backbone on B images of H x W: patch embedding, every block, no head. */
function vitFlops(c: ViTConfig, B: number, H: number, W: number, opts: { lastBlockCLSRowOnly?: boolean; clsOnly?: boolean } = {}): number {
  const P = (H / c.patchSize) * (W / c.patchSize);
  const N = 1 + P;
  const D = c.embedDim;
  const F = c.mlpRatio * D;
  const embed = 2 * P * 3 * c.patchSize ** 2 * D;
  const linear = 2 * N * D * (3 * D + D + 2 * F); // qkv, proj, fc1, fc2
  const attn = 4 * N * N * D; // scores and weighted sum
  const blocks = c.depth * (linear + attn);
  // The inspector stops the last block at its qkv and one query's scores.
  // With clsOnly (features, training) it computes qkv of every token, then CLS's row alone.
  const saved = opts.lastBlockCLSRowOnly
    ? 2 * N * D * (D + 2 * F) + attn - 2 * N * D
    : opts.clsOnly
      ? 2 * (N - 1) * D * (D + 2 * F) + attn - 4 * N * D
      : 0;
  return B * (embed + blocks - saved);
}

/** Head FLOPs per feature vector: one multiply-add per weight of every matrix in the head (its MLP's
 *  Linear layers and the weight-normalised last layer, `weight_v`; `weight_g` is a [K, 1] scale). */
function headFlops(h: HeadConfig, D: number): number {
  const matrices = headShapes(D, h).filter(([name, shape]) => shape.length === 2 && !name.endsWith('weight_g'));
  return matrices.reduce((f, [, [rows, cols]]) => f + 2 * rows * cols, 0);
}

/** FLOPs of one training step: teacher forward on the globals, student forward and backward (2x) on all crops. */
function trainStepFlops(cfg: RunConfig): number {
  const a = cfg.augment;
  const B = cfg.train.batchSize;
  const g = vitFlops(cfg.model, 2 * B, a.globalSize, a.globalSize, { clsOnly: true }) + 2 * B * headFlops(cfg.head, cfg.model.embedDim);
  const l = vitFlops(cfg.model, a.nLocalCrops * B, a.localSize, a.localSize, { clsOnly: true }) + a.nLocalCrops * B * headFlops(cfg.head, cfg.model.embedDim);
  return g + 3 * (g + l);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface MatMulBench {
  size: number;
  ms: number;
  gflops: number;
}

/** A large untransposed square matMul: the backend's best case, the yardstick for utilisation. */
export async function benchMatMul(size = 1024, reps = 5): Promise<MatMulBench> {
  const a = tf.randomNormal([size, size]);
  const b = tf.randomNormal([size, size]);
  const once = async () => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    await c.data();
    c.dispose();
    return performance.now() - t0;
  };
  await once();
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push(await once());
  tf.dispose([a, b]);
  const ms = median(times);
  return { size, ms, gflops: (2 * size ** 3) / ms / 1e6 };
}

interface InspectBench {
  ms: number[];
  msPerImage: number;
  firstMs: number;
  /** tfjs's peak of live tensor bytes during one request. */
  peakBytes: number;
  flops: number;
  gflops: number;
  tensorsLeft: number;
}

/** The inspector's request on `vit` with random (official-layout) weights on one size x size image. */
export async function benchInspect(vit: ViTConfig, size: number, reps = 3): Promise<InspectBench> {
  const head = { outDim: 16, hiddenDim: 16, bottleneckDim: 8, nlayers: 3, normLastLayer: true };
  const p: Params = {};
  for (const [n, t] of initDinoParams(vit, head, 0)) if (n.startsWith('backbone.')) p[n] = tf.tensor(t.data, t.shape);
  const x = tf.randomNormal([1, 3, size, size], 0, 1, 'float32', 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  try {
    let t0 = performance.now();
    await attentionMaps(p, vit, x, -1, 0);
    const firstMs = performance.now() - t0;
    const ms: number[] = [];
    for (let i = 0; i < reps; i++) {
      t0 = performance.now();
      await attentionMaps(p, vit, x, -1, 0);
      ms.push(performance.now() - t0);
    }
    const prof = await tf.profile(async () => {
      await attentionMaps(p, vit, x, -1, 0);
    });
    const flops = vitFlops(vit, 1, size, size, { lastBlockCLSRowOnly: true });
    const msPerImage = median(ms);
    return { ms, msPerImage, firstMs, peakBytes: prof.peakBytes, flops, gflops: flops / msPerImage / 1e6, tensorsLeft: tf.memory().numTensors - before };
  } finally {
    tf.dispose([x, ...Object.values(p)]);
  }
}

interface FeatureBench {
  batch: number;
  msPerImage: number;
  msPerBatch: number[];
  flops: number;
  gflops: number;
}

/** CLS features (the k-NN and t-SNE input) of batches of `batch` size x size images on `vit`. */
export async function benchFeatures(vit: ViTConfig, size: number, batch: number, reps = 3): Promise<FeatureBench> {
  const head = { outDim: 16, hiddenDim: 16, bottleneckDim: 8, nlayers: 3, normLastLayer: true };
  const p: Params = {};
  for (const [n, t] of initDinoParams(vit, head, 0)) if (n.startsWith('backbone.')) p[n] = tf.tensor(t.data, t.shape);
  const x = tf.randomNormal([batch, 3, size, size], 0, 1, 'float32', 2) as tf.Tensor4D;
  const once = async () => {
    const t0 = performance.now();
    const f = vitCls(p, vit, x);
    await f.data();
    f.dispose();
    return performance.now() - t0;
  };
  try {
    await once();
    const msPerBatch: number[] = [];
    for (let i = 0; i < reps; i++) msPerBatch.push(await once());
    const flops = vitFlops(vit, batch, size, size, { clsOnly: true });
    const ms = median(msPerBatch);
    return { batch, msPerImage: ms / batch, msPerBatch, flops, gflops: flops / ms / 1e6 };
  } finally {
    tf.dispose([x, ...Object.values(p)]);
  }
}

interface TrainBench {
  msPerStep: number;
  firstStepMs: number;
  imgPerSec: number;
  flopsPerStep: number;
  gflops: number;
  /** Kernels one step dispatches. */
  dispatchesPerStep: number;
  peakBytes: number;
  /** wasm: bytes the heap has grown to by the end (it never shrinks: the high-water mark of this
   *  and every earlier workload of the worker); null elsewhere. */
  heapBytes: number | null;
  microBatch: number;
  memory: { step: number; numTensors: number; numBytes: number }[];
}

/**
 * `steps` DINO steps of `cfg` on random 64 x 64 images (one extra, first step timed apart), the
 * student in micro-batches of `microBatch` images (default: the whole batch).
 */
export async function benchTrain(cfg: RunConfig, steps: number, onStep?: (step: number) => void, microBatch = cfg.train.batchSize): Promise<TrainBench> {
  const rng = new Rng(3);
  const n = Math.max(cfg.train.batchSize * 2, 8);
  const store = new ImageStore();
  store.add(
    Array.from({ length: n }, (_, i) => ({
      id: `r${i}`,
      label: null,
      width: 64,
      height: 64,
      pixels: Uint8Array.from({ length: 64 * 64 * 3 }, () => rng.int(256)),
    })),
  );
  const run = new DinoRun(cfg, store.count);
  run.microBatch = microBatch;
  const memory: TrainBench['memory'] = [];
  try {
    let t0 = performance.now();
    run.runStep(store);
    await run.flushMetrics();
    const firstStepMs = performance.now() - t0;
    const prof = await tf.profile(async () => {
      run.runStep(store);
      await run.flushMetrics();
    });
    const times: number[] = [];
    for (let s = 0; s < steps; s++) {
      t0 = performance.now();
      run.runStep(store);
      await run.flushMetrics();
      times.push(performance.now() - t0);
      const m = tf.memory();
      memory.push({ step: s, numTensors: m.numTensors, numBytes: m.numBytes });
      onStep?.(s);
    }
    const msPerStep = median(times);
    const flopsPerStep = trainStepFlops(cfg);
    return {
      msPerStep,
      firstStepMs,
      imgPerSec: (cfg.train.batchSize * 1000) / msPerStep,
      flopsPerStep,
      gflops: flopsPerStep / msPerStep / 1e6,
      dispatchesPerStep: prof.kernels.length,
      peakBytes: prof.peakBytes,
      heapBytes: wasmHeapBytes(),
      microBatch,
      memory,
    };
  } finally {
    run.dispose();
    store.dispose();
  }
}
