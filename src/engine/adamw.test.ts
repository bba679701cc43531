import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { adamWStep, clipGradients, createAdamW, disposeAdamW } from './adamw';
import { emaUpdate } from './ema';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** torch 1.13 AdamW for one scalar parameter, written from its documented update. */
function torchAdamW(p: number, grads: (number | null)[], lrs: number[], wd: number): number {
  let m = 0;
  let v = 0;
  let t = 0;
  grads.forEach((g, i) => {
    if (g === null) return; // no gradient: skipped entirely
    t++;
    const lr = lrs[i];
    p *= 1 - lr * wd;
    m = 0.9 * m + 0.1 * g;
    v = 0.999 * v + 0.001 * g * g;
    p -= (lr / (1 - 0.9 ** t)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.999 ** t) + 1e-8));
  });
  return p;
}

describe('AdamW', () => {
  it('matches torch with per-parameter step counts, decay only on regularized parameters', async () => {
    const w = tf.variable(tf.tensor2d([[0.5, -1.2]]), true, 'adamw-test.weight');
    const b = tf.variable(tf.tensor1d([0.3]), true, 'adamw-test.bias');
    const params = { 'x.weight': w, 'x.bias': b };
    const s = createAdamW(params);
    const lrs = [0.1, 0.05, 0.02];
    const gw = [[0.2, -0.4], [0.1, 0.3], [-0.5, 0.05]];
    const gb = [null, 0.7, -0.2]; // the bias misses its first update, as the frozen last layer does
    const before = tf.memory().numTensors;
    lrs.forEach((lr, i) => {
      const grads: Record<string, tf.Tensor> = { 'x.weight': tf.tensor2d([gw[i]]) };
      if (gb[i] !== null) grads['x.bias'] = tf.tensor1d([gb[i] as number]);
      adamWStep(s, params, grads, lr, 0.04);
      tf.dispose(Object.values(grads));
    });
    expect(tf.memory().numTensors).toBe(before);
    const wv = await w.data();
    expect(wv[0]).toBeCloseTo(torchAdamW(0.5, gw.map((g) => g[0]), lrs, 0.04), 6);
    expect(wv[1]).toBeCloseTo(torchAdamW(-1.2, gw.map((g) => g[1]), lrs, 0.04), 6);
    expect((await b.data())[0]).toBeCloseTo(torchAdamW(0.3, gb, lrs, 0), 6);
    expect(s.slots['x.bias'].t).toBe(2);
    disposeAdamW(s);
    tf.dispose([w, b]);
  });

  it('clips per parameter, only downwards, with +1e-6 in the denominator', async () => {
    const grads = { a: tf.tensor1d([3, 4]), b: tf.tensor1d([0.3, 0.4]) };
    const { grads: out, norms, clipped } = clipGradients(grads, 1);
    expect(Array.from(await norms.data())).toEqual([5, expect.closeTo(0.5, 6)]);
    const a = await out.a.data();
    expect(a[0]).toBeCloseTo((3 * 1) / (5 + 1e-6), 6);
    expect(Array.from(await out.b.data())).toEqual([expect.closeTo(0.3, 7), expect.closeTo(0.4, 7)]);
    expect((await clipped.data())[0]).toBe(1);
    tf.dispose([...Object.values(out), norms, clipped]);
  });
});

describe('EMA', () => {
  it('moves every teacher parameter towards the student', async () => {
    const t = { w: tf.variable(tf.tensor1d([1, 2]), false) };
    const s = { w: tf.variable(tf.tensor1d([3, 6]), false) };
    emaUpdate(t, s, 0.75);
    expect(Array.from(await t.w.data())).toEqual([1.5, 3]);
    tf.dispose([t.w, s.w]);
  });
});
