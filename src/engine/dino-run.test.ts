import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunConfig } from '../shared/config';
import { microRunConfig } from '../shared/micro-config';
import type { DatasetImage } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { restoreCheckpoint, saveCheckpoint } from './checkpoint';
import { DinoRun } from './dino-run';
import { ImageStore } from './image-store';

const config: RunConfig = microRunConfig({ warmupEpochs: 1, metricsEvery: 2 });

function images(n: number): DatasetImage[] {
  const rng = new Rng(7);
  return Array.from({ length: n }, (_, i) => {
    const w = 20 + (i % 3) * 4;
    const h = 18 + (i % 2) * 6;
    return { id: `img${i}`, label: `c${i % 2}`, width: w, height: h, pixels: Uint8Array.from({ length: w * h * 3 }, () => rng.int(256)) };
  });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('DinoRun', () => {
  it('trains with finite metrics and no tensor growth across steps', async () => {
    const store = new ImageStore();
    store.add(images(8));
    const run = new DinoRun(config, store.count, undefined);
    run.runStep(store);
    await run.flushMetrics();
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) run.runStep(store);
    const rows = await run.flushMetrics();
    expect(tf.memory().numTensors).toBe(after1);
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3]);
    for (const r of rows) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.kl).toBeCloseTo(r.loss - r.teacherEntropy, 5);
      expect(r.teacherEntropy).toBeGreaterThanOrEqual(0);
      expect(r.teacherEntropy).toBeLessThanOrEqual(Math.log(32) + 1e-4);
    }
    run.dispose();
    store.dispose();
  });

  it('resumes from a checkpoint exactly as an unbroken run continues', async () => {
    const store = new ImageStore();
    store.add(images(8));
    const unbroken = new DinoRun(config, store.count);
    for (let i = 0; i < 4; i++) unbroken.runStep(store);
    const expected = (await unbroken.flushMetrics()).map((r) => r.loss);

    const first = new DinoRun(config, store.count);
    first.runStep(store);
    first.runStep(store);
    const head = (await first.flushMetrics()).map((r) => r.loss);
    const bytes = await saveCheckpoint(first, store.count, []);
    first.dispose();
    const { run: resumed } = restoreCheckpoint(bytes);
    expect(resumed.step).toBe(2);
    resumed.runStep(store);
    resumed.runStep(store);
    const tail = (await resumed.flushMetrics()).map((r) => r.loss);
    expect([...head, ...tail]).toEqual(expected);
    const a = await unbroken.model.teacher['backbone.cls_token'].data();
    const b = await resumed.model.teacher['backbone.cls_token'].data();
    expect(Array.from(b)).toEqual(Array.from(a));
    unbroken.dispose();
    resumed.dispose();
    store.dispose();
  });

  it('keeps tensors and device bytes flat over 150 steps', async () => {
    const micro: RunConfig = {
      ...config,
      model: { ...config.model, patchSize: 4, imgSize: 8, embedDim: 8, depth: 1, numHeads: 1 },
      head: { outDim: 8, hiddenDim: 8, bottleneckDim: 4, nlayers: 2, normLastLayer: true },
      augment: { ...config.augment, globalSize: 8, localSize: 4, nLocalCrops: 1 },
      train: { ...config.train, batchSize: 2, epochs: 40 },
    };
    const store = new ImageStore();
    store.add(images(8));
    const run = new DinoRun(micro, store.count);
    for (let i = 0; i < 5; i++) run.runStep(store);
    await run.flushMetrics();
    const start = tf.memory();
    for (let i = 0; i < 150; i++) {
      run.runStep(store);
      if (i % 10 === 9) await run.flushMetrics();
    }
    const end = tf.memory();
    expect(end.numTensors).toBe(start.numTensors);
    expect(end.numBytes).toBe(start.numBytes);
    run.dispose();
    store.dispose();
  });

  it('frees what a step built when a later micro-batch fails, and leaves the weights as they were', async () => {
    const cfg: RunConfig = { ...config, train: { ...config.train, batchSize: 4 } };
    const store = new ImageStore();
    store.add(images(8));
    const run = new DinoRun(cfg, store.count);
    run.microBatch = 2;
    run.runStep(store);
    await run.flushMetrics();
    // Count a step's Erf calls (GELU on cpu, forward only), then fail the next step at its last
    // one: the second micro-batch's forward, with the first one's loss and gradients held.
    const erf = tf.getKernel('Erf', 'cpu')!;
    let calls = 0;
    let failAt = Infinity;
    tf.unregisterKernel('Erf', 'cpu');
    tf.registerKernel({
      ...erf,
      kernelFunc: (args) => {
        if (++calls === failAt) throw new Error('injected failure');
        return erf.kernelFunc(args);
      },
    });
    try {
      run.runStep(store);
      await run.flushMetrics();
      failAt = calls;
      calls = 0;
      const before = tf.memory().numTensors;
      const param = run.model.student[run.model.trainable[0]];
      const weights = await param.data();
      expect(() => run.runStep(store)).toThrow('injected failure');
      expect(calls).toBe(failAt);
      expect(tf.memory().numTensors).toBe(before);
      expect(await param.data()).toEqual(weights);
    } finally {
      tf.unregisterKernel('Erf', 'cpu');
      tf.registerKernel(erf);
    }
    run.dispose();
    store.dispose();
  });

  it('trains in micro-batches exactly as with the whole batch, without leaking', async () => {
    // Stochastic depth on (nano's 0.1), so the masks must follow their images into each micro-batch.
    const cfg: RunConfig = { ...config, train: { ...config.train, batchSize: 4, dropPathRate: 0.3 } };
    const store = new ImageStore();
    store.add(images(8));
    const runs = [4, 3, 1].map((mb) => {
      const r = new DinoRun(cfg, store.count);
      r.microBatch = mb;
      return r;
    });
    const rows = [];
    for (const r of runs) {
      r.runStep(store);
      await r.flushMetrics();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) r.runStep(store);
      rows.push(await r.flushMetrics());
      expect(tf.memory().numTensors, `micro-batch ${r.microBatch}`).toBe(before);
    }
    const [whole, ...split] = runs;
    for (const [i, run] of split.entries()) {
      const what = `micro-batch ${run.microBatch}`;
      for (const [j, row] of rows[i + 1].entries()) {
        expect(row.loss, what).toBeCloseTo(rows[0][j].loss, 5);
        expect(row.teacherEntropy, what).toBeCloseTo(rows[0][j].teacherEntropy, 5);
        expect(row.centerNorm, what).toBeCloseTo(rows[0][j].centerNorm, 5);
      }
      let worst = 0;
      for (const net of ['student', 'teacher'] as const) {
        for (const [name, v] of Object.entries(whole.model[net])) {
          const a = await v.data();
          const b = await run.model[net][name].data();
          for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
        }
      }
      // Float32 sums in another order: a few ulps of the weights after 4 AdamW steps.
      expect(worst, what).toBeLessThan(2e-6);
    }
    runs.forEach((r) => r.dispose());
    store.dispose();
  });

  it('refuses a dataset smaller than one batch with a clear message', () => {
    expect(() => new DinoRun(config, 3)).toThrow(/3 images, fewer than one batch of 4/);
  });
});
