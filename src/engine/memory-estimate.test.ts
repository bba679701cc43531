import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { runPresets, type RunConfig } from '../shared/config';
import { estimateTrainingMemory } from '../shared/memory';
import { Rng } from '../shared/rng';
import { activateBackend } from './backend';
import { DinoRun } from './dino-run';
import { ImageStore } from './image-store';

/** tfjs's peak of live bytes over one training step (after a first one has made the state). */
async function measuredPeak(cfg: RunConfig, microBatch = cfg.train.batchSize): Promise<number> {
  const rng = new Rng(3);
  const store = new ImageStore();
  store.add(Array.from({ length: 32 }, (_, i) => ({ id: `r${i}`, label: null, width: 48, height: 48, pixels: Uint8Array.from({ length: 48 * 48 * 3 }, () => rng.int(256)) })));
  const run = new DinoRun(cfg, store.count);
  run.microBatch = microBatch;
  try {
    run.runStep(store);
    await run.flushMetrics();
    const prof = await tf.profile(async () => {
      run.runStep(store);
      await run.flushMetrics();
    });
    return prof.peakBytes;
  } finally {
    run.dispose();
    store.dispose();
  }
}

const nano = runPresets.nano;
const wider: RunConfig = {
  ...nano,
  model: { ...nano.model, embedDim: 96, numHeads: 4, depth: 3 },
  head: { outDim: 512, hiddenDim: 256, bottleneckDim: 64, nlayers: 3, normLastLayer: true },
  augment: { ...nano.augment, globalSize: 48, localSize: 24, nLocalCrops: 4 },
  train: { ...nano.train, batchSize: 8 },
};

/** A large batch split into single images: what the whole batch holds (crops, teacher pass) dominates. */
const wideBatch: RunConfig = { ...wider, augment: { ...wider.augment, globalSize: 96 }, train: { ...wider.train, batchSize: 32 } };

describe('training memory estimate', () => {
  // Four configurations and both kinds of backend: the estimate within 25 % of the measured peak.
  for (const [backend, name, cfg, microBatch] of [
    ['wasm', 'nano', nano, nano.train.batchSize],
    ['wasm', 'wider', wider, wider.train.batchSize],
    ['wasm', 'wider in micro-batches of 2', wider, 2],
    ['cpu', 'nano, batch 4', { ...nano, train: { ...nano.train, batchSize: 4 } }, 4],
    ['wasm', 'batch 32 of 96 px crops in micro-batches of 1', wideBatch, 1],
  ] as const) {
    it(`is within 25 % of the measured peak: ${name} on ${backend}`, async () => {
      await activateBackend(backend);
      const measured = await measuredPeak(cfg, microBatch);
      const est = estimateTrainingMemory(cfg, backend === 'wasm', microBatch).totalBytes;
      if (microBatch < cfg.train.batchSize) expect(measured).toBeLessThan(0.6 * (await measuredPeak(cfg)));
      expect(Math.abs(est - measured) / measured, `estimate ${(est / 2 ** 20).toFixed(1)} MiB, measured ${(measured / 2 ** 20).toFixed(1)} MiB`).toBeLessThan(0.25);
    });
  }
});
