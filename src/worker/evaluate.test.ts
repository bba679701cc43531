import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DatasetImage, WorkerEvent } from '../shared/protocol';
import { microRunConfig } from '../shared/micro-config';
import { Rng } from '../shared/rng';
import { ImageStore } from '../engine/image-store';
import { disposeParams, initDinoParams, type Params } from '../engine/params';
import type { FeatureCache } from '../engine/eval/features';
import { Evaluator } from './evaluate';

const cfg = microRunConfig();

/** Two classes that differ in brightness (so even raw pixels separate them), plus unlabelled images. */
function images(n: number, unlabelled = 0): DatasetImage[] {
  const rng = new Rng(4);
  return Array.from({ length: n + unlabelled }, (_, i) => {
    const bright = i % 2 === 0;
    return {
      id: `i${i}`,
      label: i >= n ? null : bright ? 'bright' : 'dark',
      width: 20,
      height: 14,
      pixels: Uint8Array.from({ length: 20 * 14 * 3 }, () => (bright ? 150 : 0) + rng.int(100)),
    };
  });
}

function model(): { params: Params; config: typeof cfg.model } {
  const params: Params = {};
  for (const [name, t] of initDinoParams(cfg.model, cfg.head, 1)) if (name.startsWith('backbone.')) params[name] = tf.tensor(t.data, t.shape);
  return { params, config: cfg.model };
}

function memoryCache(): FeatureCache & { map: Map<string, Float32Array> } {
  const map = new Map<string, Float32Array>();
  return { map, get: async (keys) => keys.map((k) => map.get(k)), put: async (e) => void e.forEach(([k, v]) => map.set(k, v)) };
}

describe('Evaluator (the evaluation views in the worker)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('extracts features with progress, caches them, scores both k-NN rules with baselines, maps and retrieves', async () => {
    const events: WorkerEvent[] = [];
    const cache = memoryCache();
    const ev = new Evaluator((e) => events.push(e), cache);
    const store = new ImageStore();
    store.add(images(40));
    const m = model();
    const before = tf.memory().numTensors;
    await ev.extract(1, { network: 'teacher', resolution: 16, baselines: true }, store, m, 'test');
    expect(tf.memory().numTensors).toBe(before); // the random baseline network is disposed
    const progress = events.filter((e) => e.type === 'featureProgress');
    expect(progress.length).toBeGreaterThan(2);
    const done = events.find((e) => e.type === 'features');
    if (done?.type !== 'features') throw new Error('no features event');
    expect(done.summary.count).toBe(40);
    expect(done.summary.dim).toBe(16);
    expect(done.summary.classNames).toEqual(['bright', 'dark']);
    expect(done.summary.sources).toEqual(['model', 'random', 'pixels']);
    expect(cache.map.size).toBe(80); // 40 images x (model, random)

    // A second extraction finds every feature in the cache.
    events.length = 0;
    await ev.extract(2, { network: 'teacher', resolution: 16, baselines: true }, store, m, 'test');
    const again = events.find((e) => e.type === 'features');
    expect(again?.type === 'features' && again.summary.fromCache).toBe(40);

    for (const rule of ['sklearn', 'dino'] as const) {
      ev.knn(3, { rule, k: 5, temperature: 0.07, valFraction: 0.25, seed: 1 });
      const r = events.at(-1)!;
      if (r.type !== 'evalKnn') throw new Error('no evalKnn event');
      expect(r.unscorable).toBeNull();
      expect(r.reports.map((x) => x.source)).toEqual(['model', 'random', 'pixels']);
      const pixels = r.reports.find((x) => x.source === 'pixels')!;
      expect(pixels.accuracy).toBe(1); // brightness separates the classes
      expect(pixels.nVal).toBe(10);
      expect(pixels.confusion.reduce((a, b) => a + b, 0)).toBe(10);
      expect(pixels.top5 === null).toBe(rule === 'sklearn');
    }

    await ev.embed(4, 'pca');
    const pca = events.at(-1)!;
    expect(pca.type === 'embedding' && pca.coords.length).toBe(80);

    await ev.embed(6, 'umap');
    const umap = events.at(-1)!;
    if (umap.type !== 'embedding') throw new Error('no UMAP embedding');
    expect(umap.method).toBe('umap');
    expect(umap.coords.length).toBe(80);
    expect(umap.coords.every(Number.isFinite)).toBe(true);
    expect(events.some((e) => e.type === 'embedProgress' && e.method === 'umap')).toBe(true);

    ev.neighbors(5, 3, 4, 'cosine');
    const nb = events.at(-1)!;
    if (nb.type !== 'neighbors') throw new Error('no neighbors event');
    expect(nb.indices.length).toBe(4);
    expect(Array.from(nb.indices)).not.toContain(3);
    expect([...nb.distances].every((d, i, a) => i === 0 || d >= a[i - 1])).toBe(true);
    disposeParams(m.params);
    store.dispose();
  });

  it('t-SNE sends intermediate maps, and can be cancelled', async () => {
    const events: WorkerEvent[] = [];
    const ev = new Evaluator((e) => events.push(e), undefined);
    const store = new ImageStore();
    store.add(images(40));
    const m = model();
    await ev.extract(1, { network: 'student', resolution: 16, baselines: false }, store, m, 'test');
    const running = ev.embed(2, 'tsne');
    await new Promise((r) => setTimeout(r, 5));
    ev.cancel();
    await expect(running).rejects.toThrow(/cancelled/);
    disposeParams(m.params);
    store.dispose();
  });

  it('extracts only the requested images when ids are given', async () => {
    const events: WorkerEvent[] = [];
    const ev = new Evaluator((e) => events.push(e), undefined);
    const store = new ImageStore();
    store.add(images(10));
    const m = model();
    await ev.extract(1, { network: 'teacher', resolution: 16, baselines: false, ids: ['i2', 'i5', 'i7'] }, store, m, 'test');
    const f = events.at(-1)!;
    expect(f.type === 'features' && f.summary.ids).toEqual(['i2', 'i5', 'i7']);
    await expect(ev.extract(2, { network: 'teacher', resolution: 16, baselines: false, ids: ['gone'] }, store, m, 'test')).rejects.toThrow(/selected/);
    disposeParams(m.params);
    store.dispose();
  });

  it('without labels it says why it cannot score; maps still work', async () => {
    const events: WorkerEvent[] = [];
    const ev = new Evaluator((e) => events.push(e), undefined);
    const store = new ImageStore();
    store.add(images(0, 12));
    const m = model();
    await ev.extract(1, { network: 'teacher', resolution: 16, baselines: false }, store, m, 'test');
    ev.knn(2, { rule: 'sklearn', k: 3, temperature: 0.07, valFraction: 0.2, seed: 0 });
    const r = events.at(-1)!;
    expect(r.type === 'evalKnn' && r.unscorable).toMatch(/no image has a label/);
    await ev.embed(3, 'pca');
    expect(events.at(-1)!.type).toBe('embedding');
    disposeParams(m.params);
    store.dispose();
  });

  it('cancels an extraction between batches', async () => {
    const events: WorkerEvent[] = [];
    const ev = new Evaluator((e) => events.push(e), undefined);
    const store = new ImageStore();
    store.add(images(200));
    const m = model();
    const running = ev.extract(1, { network: 'teacher', resolution: 16, baselines: false }, store, m, 'test');
    await new Promise((r) => setTimeout(r, 1));
    ev.cancel();
    await expect(running).rejects.toThrow(/cancelled/);
    expect(events.some((e) => e.type === 'features')).toBe(false);
    disposeParams(m.params);
    store.dispose();
  });
});
