import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { runPresets, type RunConfig } from '../shared/config';
import type { DatasetImage, WorkerEvent } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { goldenCaseDirs } from '../conformance/golden-dirs';
import { readSafetensors, writeSafetensors } from '../engine/weights/safetensors';
import { Session } from './session';

const config: RunConfig = {
  ...runPresets.nano,
  model: { ...runPresets.nano.model, patchSize: 4, imgSize: 8, embedDim: 8, depth: 1, numHeads: 1 },
  head: { outDim: 8, hiddenDim: 8, bottleneckDim: 4, nlayers: 2, normLastLayer: true },
  augment: { ...runPresets.nano.augment, globalSize: 8, localSize: 4, nLocalCrops: 1 },
  train: { ...runPresets.nano.train, batchSize: 2, epochs: 5, metricsEvery: 1, checkpointEvery: 1000 },
};

function images(n: number): DatasetImage[] {
  const rng = new Rng(3);
  return Array.from({ length: n }, (_, i) => ({
    id: `i${i}`,
    label: i % 2 ? 'a' : 'b',
    width: 12,
    height: 10,
    pixels: Uint8Array.from({ length: 360 }, () => rng.int(256)),
  }));
}

/** A checkpoint store in memory, standing in for IndexedDB. */
function memoryStore() {
  let saved: Uint8Array | null = null;
  return {
    save: async (bytes: Uint8Array) => {
      saved = bytes;
    },
    load: async () => saved,
    clear: async () => {
      saved = null;
    },
  };
}

async function session(): Promise<{ s: Session; events: WorkerEvent[] }> {
  const events: WorkerEvent[] = [];
  const s = new Session((e) => events.push(e), {});
  await s.handle({ type: 'init', backend: 'cpu' });
  expect(tf.getBackend()).toBe('cpu');
  return { s, events };
}

async function until(events: WorkerEvent[], pred: (e: WorkerEvent) => boolean, ms = 60_000): Promise<WorkerEvent> {
  const t0 = Date.now();
  for (;;) {
    const hit = events.find(pred);
    if (hit) return hit;
    if (Date.now() - t0 > ms) throw new Error(`timed out: ${events.map((e) => e.type).join(',')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A wasm session whose run has taken a few steps and is paused (its checkpoint stored in memory). */
async function pausedWasmRun(): Promise<{ s: Session; events: WorkerEvent[]; pausedAt: number }> {
  const events: WorkerEvent[] = [];
  const s = new Session((e) => events.push(e), {}, memoryStore(), () => null);
  await s.handle({ type: 'init', backend: 'wasm' });
  await s.handle({ type: 'loadImages', images: images(4), replace: true });
  await s.handle({ type: 'configure', config: { ...config, train: { ...config.train, epochs: 1000, checkpointEvery: 1000 } } });
  await s.handle({ type: 'start', fromWeights: false });
  await until(events, (e) => e.type === 'metrics' && e.rows.some((r) => r.step >= 2));
  await s.handle({ type: 'pause' });
  const pausedAt = (events.filter((e) => e.type === 'progress').pop() as Extract<WorkerEvent, { type: 'progress' }>).progress.step;
  return { s, events, pausedAt };
}

describe('worker session', () => {
  it('reports the backend and why', async () => {
    const { events } = await session();
    const ready = events.find((e) => e.type === 'ready');
    expect(ready?.type === 'ready' && ready.backend).toMatchObject({ name: 'cpu', reason: expect.stringContaining('chosen by you') });
  });

  it('pauses with a clear message when the loss becomes NaN', async () => {
    const { s, events } = await session();
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    await s.handle({ type: 'configure', config: { ...config, train: { ...config.train, lr: 1e36, warmupEpochs: 0 } } });
    await s.handle({ type: 'start', fromWeights: false });
    const d = await until(events, (e) => e.type === 'diverged');
    expect(d.type === 'diverged' && d.message).toMatch(/loss became NaN at step \d+; training is paused/);
    const last = events.filter((e) => e.type === 'progress').pop();
    expect(last?.type === 'progress' && last.progress.state).toBe('paused');
  });

  it('reports "paused" only once the checkpoint is stored, and a new session resumes from it', async () => {
    // A slow store, like IndexedDB on a busy machine: the UI must not see "paused" (and let the
    // person reload) before the write has finished.
    let saved: Uint8Array | null = null;
    const log: string[] = [];
    const stored = {
      save: async (bytes: Uint8Array) => {
        await new Promise((r) => setTimeout(r, 300));
        saved = bytes;
        log.push('saved');
      },
      load: async () => saved,
      clear: async () => {
        saved = null;
      },
    };
    const events: WorkerEvent[] = [];
    const s = new Session((e) => {
      events.push(e);
      if (e.type === 'progress') log.push(e.progress.state);
    }, {}, stored);
    await s.handle({ type: 'init', backend: 'cpu' });
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    // Metrics are read back rarely, so the pause has unread rows to flush before it stores.
    await s.handle({ type: 'configure', config: { ...config, train: { ...config.train, epochs: 1000, metricsEvery: 10_000 } } });
    await s.handle({ type: 'start', fromWeights: false });
    await new Promise((r) => setTimeout(r, 1000));
    await s.handle({ type: 'pause' });
    expect(log.indexOf('paused')).toBeGreaterThan(log.lastIndexOf('saved'));
    expect(log.filter((x) => x === 'paused')).toHaveLength(1);
    const last = events.filter((e) => e.type === 'progress').pop();
    const step = last?.type === 'progress' ? last.progress.step : -1;
    expect(step).toBeGreaterThan(0);

    // What a reload does: a fresh worker session finds the stored run at the step it paused at.
    const after: WorkerEvent[] = [];
    const s2 = new Session((e) => after.push(e), {}, stored);
    await s2.handle({ type: 'init', backend: 'cpu' });
    expect(after.find((e) => e.type === 'restored')).toMatchObject({ type: 'restored', step });
  });

  it('survives a lost GPU device: new backend, run rolled back to its last checkpoint, resumable', async () => {
    const stored = memoryStore();
    // A device whose loss the test triggers; devices made after it are never lost.
    let lose: (l: { reason: string; message: string }) => void = () => {};
    let watched = 0;
    const watch = () => {
      watched++;
      return watched === 1 ? new Promise<{ reason: string; message: string }>((r) => (lose = r)) : new Promise<never>(() => {});
    };
    const events: WorkerEvent[] = [];
    const s = new Session((e) => events.push(e), {}, stored, watch);
    await s.handle({ type: 'init', backend: 'cpu' });
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    await s.handle({ type: 'configure', config: { ...config, train: { ...config.train, epochs: 1000, checkpointEvery: 1000 } } });
    await s.handle({ type: 'start', fromWeights: false });
    await until(events, (e) => e.type === 'metrics' && e.rows.some((r) => r.step >= 2));
    await s.handle({ type: 'pause' });
    const pausedAt = (events.filter((e) => e.type === 'progress').pop() as Extract<WorkerEvent, { type: 'progress' }>).progress.step;
    await s.handle({ type: 'resume' });
    await until(events, (e) => e.type === 'metrics' && e.rows.some((r) => r.step >= pausedAt + 2));
    const before = events.length;

    lose({ reason: 'unknown', message: 'GPU process exited' });
    const err = await until(events, (e) => e.type === 'error' && /device was lost/.test(e.message));
    const after = events.slice(before);
    expect(err.type === 'error' && err.message).toMatch(
      new RegExp(`^Training stopped: the GPU device was lost \\(unknown: GPU process exited\\) at step \\d+\\. dinolab now runs on cpu; the run was rolled back to its last checkpoint \\(step ${pausedAt}\\); press Resume to continue\\.$`),
    );
    expect(after.find((e) => e.type === 'backend')).toMatchObject({ backend: { name: 'cpu', reason: expect.stringContaining('the GPU device was lost') } });
    expect(after.find((e) => e.type === 'restored')).toMatchObject({ step: pausedAt });
    expect(after.some((e) => e.type === 'error' && e.message.startsWith('training stopped:'))).toBe(false);
    const progress = after.filter((e) => e.type === 'progress').pop();
    expect(progress?.type === 'progress' && progress.progress).toMatchObject({ state: 'paused', step: pausedAt });
    expect(watched).toBe(2); // the new backend is watched in turn

    // The rolled-back run goes on from its checkpoint.
    const mark = events.length;
    await s.handle({ type: 'resume' });
    await until(events, (e) => events.indexOf(e) >= mark && e.type === 'metrics' && e.rows.some((r) => r.step === pausedAt + 1));
    await s.handle({ type: 'stop' });
  });

  it('survives the wasm heap running out: fresh heap, run rolled back to its checkpoint, resumable', async () => {
    const { s, events, pausedAt } = await pausedWasmRun();
    const batch = config.train.batchSize;
    expect((events.filter((e) => e.type === 'progress').pop() as Extract<WorkerEvent, { type: 'progress' }>).progress.microBatch).toBe(batch);

    // Fill wasm32's 4 GiB: the module aborts, as it does when a step asks for more than is left.
    const filler: tf.Tensor[] = [];
    expect(() => {
      for (let i = 0; i < 64; i++) filler.push(tf.fill([64 * 2 ** 20], 1));
    }).toThrow();
    const before = events.length;
    await s.handle({ type: 'resume' });
    const err = await until(events, (e) => events.indexOf(e) >= before && e.type === 'error');
    // The test's own filler lived on the dead heap: let the engine forget it.
    for (const t of filler) {
      try {
        t.dispose();
      } catch {
        // its heap is gone
      }
    }
    expect(err.type === 'error' && err.message).toMatch(
      new RegExp(`^Training stopped: the WebAssembly heap ran out of memory \\(.*\\) at step \\d+\\. dinolab now runs on wasm; the run was rolled back to its last checkpoint \\(step ${pausedAt}\\); press Resume to continue\\. Its steps now run in micro-batches of ${batch / 2} images, which need less memory and give the same result\\.$`),
    );
    const after = events.slice(before);
    expect(after.find((e) => e.type === 'restored')).toMatchObject({ step: pausedAt });
    const progress = after.filter((e) => e.type === 'progress').pop();
    expect(progress?.type === 'progress' && progress.progress).toMatchObject({ state: 'paused', step: pausedAt, microBatch: batch / 2 });

    // The fresh heap trains on from the checkpoint.
    const mark = events.length;
    await s.handle({ type: 'resume' });
    await until(events, (e) => events.indexOf(e) >= mark && e.type === 'metrics' && e.rows.some((r) => r.step === pausedAt + 1));
    // The readout's memory: live tensors, the heap the fresh module has grown to, the wasm budget.
    const memory = (events.filter((e) => e.type === 'progress').pop() as Extract<WorkerEvent, { type: 'progress' }>).progress.memory;
    expect(memory.tensorBytes).toBeGreaterThan(0);
    expect(memory.heapBytes).toBeGreaterThanOrEqual(memory.tensorBytes);
    expect(memory.limitBytes).toBe(3.5 * 2 ** 30);
    await s.handle({ type: 'stop' });
  });

  it('recovers the same way when the heap runs out outside the loop (a single step)', async () => {
    const { s, events, pausedAt } = await pausedWasmRun();
    // The module aborts inside the step the Step button asks for (as when the step needs more heap than is left).
    const internals = s as unknown as { run: { runStep: () => void } };
    internals.run.runStep = () => {
      throw new WebAssembly.RuntimeError('Aborted(OOM)');
    };
    const before = events.length;
    await s.handle({ type: 'step' });
    const err = await until(events, (e) => events.indexOf(e) >= before && e.type === 'error', 20_000);
    expect(err.type === 'error' && err.message).toMatch(/^Training stopped: the WebAssembly heap ran out of memory \(.*Aborted\(OOM\).*\) at step \d+\. dinolab now runs on wasm; the run was rolled back to its last checkpoint/);
    const after = events.slice(before);
    expect(after.find((e) => e.type === 'restored')).toMatchObject({ step: pausedAt });
    // The restored run steps on the fresh heap.
    const mark = events.length;
    await s.handle({ type: 'step' });
    await until(events, (e) => events.indexOf(e) >= mark && e.type === 'metrics');
    const stepped = events.filter((e) => e.type === 'progress').pop();
    expect(stepped?.type === 'progress' && stepped.progress).toMatchObject({ state: 'paused', step: pausedAt + 1 });
    await s.handle({ type: 'stop' });
  });

  it("plans a previewed config's schedules without adopting it; a run's config gets the run's own", async () => {
    const { s, events } = await session();
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    const form = { ...config, train: { ...config.train, epochs: 3 } };
    const configured = () => events.filter((e) => e.type === 'configured').pop() as Extract<WorkerEvent, { type: 'configured' }>;
    await s.handle({ type: 'configure', config: form, preview: true });
    // 4 images in batches of 2: 2 steps per epoch, 3 epochs.
    expect(configured()).toMatchObject({ preview: true, config: form, schedules: { stepsPerEpoch: 2 } });
    expect([configured().schedules.lr.length, configured().schedules.teacherTemp.length]).toEqual([6, 3]);
    await s.handle({ type: 'start', fromWeights: false });
    expect(events.pop()).toMatchObject({ type: 'error', message: 'configure the run before starting it' });
    await s.handle({ type: 'configure', config });
    await s.handle({ type: 'step' });
    expect(configured()).toMatchObject({ preview: false, config });
    expect(configured().schedules.lr.length).toBe(10);
    // A finished or stopped run stays, and the form's next config is planned as its own.
    await s.handle({ type: 'stop' });
    await s.handle({ type: 'configure', config: form, preview: true });
    expect(configured().schedules.lr.length).toBe(6);
  });

  it('answers bad input with specific errors and keeps the run', async () => {
    const { s, events } = await session();
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    await s.handle({ type: 'configure', config: { ...config, model: { ...config.model, numHeads: 3 } } });
    expect(events.pop()).toMatchObject({ type: 'error', message: expect.stringContaining('model.numHeads: the width D (8) must be divisible by the number of heads (3)') });
    await s.handle({ type: 'configure', config });
    await s.handle({ type: 'step' });
    const stepped = events.filter((e) => e.type === 'metrics').flatMap((e) => (e.type === 'metrics' ? e.rows : []));
    expect(stepped.length).toBe(1);
    await s.handle({ type: 'restoreCheckpoint', requestId: 7, bytes: new Uint8Array([1, 2, 3]).buffer });
    expect(events.pop()).toMatchObject({ type: 'error', requestId: 7, message: expect.stringContaining('safetensors') });
    await s.handle({ type: 'loadWeights', requestId: 8, fileName: 'notes.txt', bytes: new TextEncoder().encode('hello').buffer });
    expect(events.pop()).toMatchObject({ type: 'error', requestId: 8, message: expect.stringMatching(/notes\.txt.*not a safetensors or PyTorch file/) });
    // the run survived: it still steps from where it was
    await s.handle({ type: 'step' });
    const rows = events.flatMap((e) => (e.type === 'metrics' ? e.rows : []));
    expect(rows.map((r) => r.step)).toEqual([0, 1]);
    // Issue 10, item 5: the change is explained when it happens, not when Resume is pressed.
    await s.handle({ type: 'loadImages', images: images(6), replace: true });
    expect(events.filter((e) => e.type === 'error').pop()).toMatchObject({
      type: 'error',
      message: expect.stringMatching(/^The dataset changed under the paused run \(4 -> 6 images\): it cannot resume/),
    });
    await s.handle({ type: 'step' });
    expect(events.pop()).toMatchObject({ type: 'error', message: expect.stringContaining('dataset changed since this run started (4 -> 6 images)') });
  });

  // Issue 10, item 6: a stopped run used to come back as a paused one on reload.
  it('Stop means stopped: the stored run is forgotten, resume is refused, the result still exports', async () => {
    const stored = memoryStore();
    const events: WorkerEvent[] = [];
    const s = new Session((e) => events.push(e), {}, stored);
    await s.handle({ type: 'init', backend: 'cpu' });
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    await s.handle({ type: 'configure', config });
    await s.handle({ type: 'step' });
    expect(await stored.load()).not.toBeNull();
    await s.handle({ type: 'stop' });
    expect(events.filter((e) => e.type === 'progress').pop()).toMatchObject({ progress: { state: 'stopped', step: 1 } });
    expect(await stored.load()).toBeNull();
    await s.handle({ type: 'resume' });
    expect(events.pop()).toMatchObject({ type: 'error', message: expect.stringMatching(/^the run was stopped: it is kept only to export/) });
    await s.handle({ type: 'exportWeights', requestId: 9, format: 'teacher-safetensors' });
    expect(events.pop()).toMatchObject({ type: 'exported', requestId: 9, fileName: 'dinolab-teacher-step1.safetensors' });
    // A reload finds nothing to resume.
    const after: WorkerEvent[] = [];
    await new Session((e) => after.push(e), {}, stored).handle({ type: 'init', backend: 'cpu' });
    expect(after.some((e) => e.type === 'restored')).toBe(false);
  });

  // Issue 10, item 3: loaded weights must not silently take over the views of a run.
  it('names the model every view shows, and switches between the run and loaded weights', async () => {
    const dir = goldenCaseDirs()[0];
    const heads = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).config.num_heads;
    const { s, events } = await session();
    await s.handle({ type: 'loadImages', images: images(10), replace: true });
    await s.handle({ type: 'configure', config });
    await s.handle({ type: 'step' });
    const inspecting = () => events.filter((e) => e.type === 'inspecting').pop();
    expect(inspecting()).toEqual({ type: 'inspecting', source: 'run', weightsFile: null });
    const request = { image: images(1)[0], size: [16, 16] as [number, number], network: 'teacher' as const, block: -1, query: 0 };
    const attention = async (requestId: number) => {
      await s.handle({ type: 'attention', requestId, request });
      const a = events.find((e) => e.type === 'attention' && e.requestId === requestId);
      return a?.type === 'attention' ? a.result : null;
    };
    expect((await attention(1))?.model).toBe('run at step 1');

    const bytes = new Uint8Array(readFileSync(path.join(dir, 'backbone.pth'))).buffer;
    await s.handle({ type: 'loadWeights', requestId: 2, fileName: 'backbone.pth', bytes, numHeads: heads });
    expect(inspecting()).toEqual({ type: 'inspecting', source: 'weights', weightsFile: 'backbone.pth' });
    expect((await attention(3))?.model).toBe('weights backbone.pth');
    await s.handle({ type: 'knn', requestId: 4, k: 3, temperature: 0.07 });
    expect(events.find((e) => e.type === 'knn')).toMatchObject({ model: 'weights backbone.pth' });

    await s.handle({ type: 'inspectSource', source: 'run' });
    expect(inspecting()).toEqual({ type: 'inspecting', source: 'run', weightsFile: 'backbone.pth' });
    const back = await attention(5);
    expect(back).toMatchObject({ model: 'run at step 1', heads: config.model.numHeads });
  });

  it('holds back weights with NaN or infinite values until the person accepts them', async () => {
    const reply = (es: WorkerEvent[], id: number) => es.find((e) => 'requestId' in e && e.requestId === id);
    const dir = goldenCaseDirs()[0];
    const heads = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).config.num_heads;
    const backbone = readSafetensors(new Uint8Array(readFileSync(path.join(dir, 'backbone.safetensors')))).tensors;
    const norm = backbone.get('norm.weight')!;
    const bad = { ...norm, data: Float32Array.from(norm.data, (v, i) => (i === 0 ? NaN : v)) };
    const bytes = writeSafetensors(new Map(backbone).set('norm.weight', bad));
    const { s, events } = await session();
    await s.handle({ type: 'loadWeights', requestId: 1, fileName: 'nan.safetensors', bytes: bytes.slice().buffer, numHeads: heads });
    expect(reply(events, 1)).toMatchObject({ type: 'weightsLoaded', requestId: 1, report: { pending: true, nonFinite: [`backbone.norm.weight (1 of ${norm.data.length})`] } });
    // Not in use: there is nothing to inspect yet.
    await s.handle({ type: 'attention', requestId: 2, request: { image: images(1)[0], size: [16, 16], network: 'teacher', block: -1, query: 0 } });
    expect(reply(events, 2)).toMatchObject({ type: 'error', requestId: 2, message: expect.stringContaining('no model to inspect') });
    await s.handle({ type: 'acceptWeights', requestId: 3 });
    expect(reply(events, 3)).toMatchObject({ type: 'weightsLoaded', requestId: 3, report: { pending: false, fileName: 'nan.safetensors' } });
    await s.handle({ type: 'acceptWeights', requestId: 4 });
    expect(reply(events, 4)).toMatchObject({ type: 'error', requestId: 4, message: 'no weights are waiting to be accepted' });
  });

  it('computes attention maps for any size and k-NN on labelled images', async () => {
    const { s, events } = await session();
    await s.handle({ type: 'loadImages', images: images(10), replace: true });
    await s.handle({ type: 'configure', config });
    await s.handle({ type: 'step' });
    const img = images(1)[0];
    await s.handle({ type: 'attention', requestId: 1, request: { image: img, size: [12, 20], network: 'teacher', block: -1, query: 0 } });
    const a = events.find((e) => e.type === 'attention');
    expect(a?.type === 'attention' && a.result).toMatchObject({ heads: 1, grid: [3, 5], size: [12, 20] });
    expect(a?.type === 'attention' && a.result.maps.reduce((x, y) => x + y, 0)).toBeLessThanOrEqual(1.0001);
    await s.handle({ type: 'knn', requestId: 2, k: 3, temperature: 0.07 });
    const k = events.find((e) => e.type === 'knn');
    expect(k).toMatchObject({ type: 'knn', nTrain: 8, nTest: 2 });
  });

  it('inspects loaded official weights exactly and fine-tunes from them', async () => {
    const dir = goldenCaseDirs()[0];
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const fwd = readSafetensors(new Uint8Array(readFileSync(path.join(dir, 'forward.safetensors')))).tensors;
    const { s, events } = await session();
    const bytes = new Uint8Array(readFileSync(path.join(dir, 'backbone.pth'))).buffer;
    await s.handle({ type: 'loadWeights', requestId: 1, fileName: 'backbone.pth', bytes, numHeads: manifest.config.num_heads });
    const report = events.find((e) => e.type === 'weightsLoaded');
    expect(report?.type === 'weightsLoaded' && report.report).toMatchObject({
      layout: 'official-backbone',
      arch: { patchSize: manifest.config.patch_size, embedDim: manifest.config.embed_dim, depth: manifest.config.depth },
    });
    const x = fwd.get('x_rect')!;
    await s.handle({
      type: 'attention',
      requestId: 2,
      request: { image: { width: 1, height: 1, pixels: new Uint8Array(3) }, size: [1, 1], network: 'teacher', block: -1, query: 0, input: { shape: x.shape as [number, number, number, number], data: x.data as Float32Array } },
    });
    const a = events.find((e) => e.type === 'attention');
    const expected = fwd.get('cls_attn_maps_rect')!;
    expect(a?.type === 'attention' && a.result.grid).toEqual(expected.shape.slice(1));
    if (a?.type === 'attention') a.result.maps.forEach((v, i) => expect(Math.abs(v - expected.data[i])).toBeLessThan(1e-5 + 1e-4 * expected.data[i]));

    // Fine-tune: the run takes the loaded backbone's architecture and a fresh head.
    await s.handle({ type: 'loadImages', images: images(4), replace: true });
    await s.handle({ type: 'configure', config: { ...config, augment: { ...config.augment, globalSize: manifest.config.global_size, localSize: manifest.config.patch_size * 2 } } });
    await s.handle({ type: 'start', fromWeights: true });
    await until(events, (e) => e.type === 'metrics' && e.rows.length > 0);
    await s.handle({ type: 'stop' });
    const configured = events.filter((e) => e.type === 'configured').pop();
    expect(configured?.type === 'configured' && configured.config.model.embedDim).toBe(manifest.config.embed_dim);
    expect(events.some((e) => e.type === 'error')).toBe(false);
  });
});
