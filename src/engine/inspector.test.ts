import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { microRunConfig } from '../shared/micro-config';
import { Rng } from '../shared/rng';
import { computePatchViews } from './inspector';
import { disposeParams, initDinoParams, type Params } from './params';

describe('computePatchViews (inspector: patch PCA and rollout)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('gives one RGB value, foreground flag and rollout value per patch, and frees its tensors', async () => {
    const cfg = microRunConfig();
    const params: Params = {};
    for (const [name, t] of initDinoParams(cfg.model, cfg.head, 3)) if (name.startsWith('backbone.')) params[name] = tf.tensor(t.data, t.shape);
    const rng = new Rng(1);
    const image = { width: 40, height: 30, pixels: Uint8Array.from({ length: 40 * 30 * 3 }, () => rng.int(256)) };
    const req = { image, size: [24, 33] as [number, number], network: 'teacher' as const, fusion: 'max' as const, discardRatio: 0.5 };
    // The first call may leave tfjs's own cached constants behind; a second call must leave nothing.
    await computePatchViews({ params, config: cfg.model }, req, null);
    const before = tf.memory().numTensors;
    const r = await computePatchViews({ params, config: cfg.model }, req, null);
    expect(tf.memory().numTensors).toBe(before);
    const p = cfg.model.patchSize;
    expect(r.grid).toEqual([Math.floor(24 / p), Math.floor(33 / p)]);
    const patches = r.grid[0] * r.grid[1];
    expect(r.pcaRgb.length).toBe(3 * patches);
    expect(r.foreground.length).toBe(patches);
    expect(r.rollout.length).toBe(patches);
    expect(Math.max(...r.rollout)).toBeCloseTo(1, 6);
    expect(r.rollout.every((v) => v >= 0 && v <= 1 + 1e-6)).toBe(true);
    disposeParams(params);
  });
});
