import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadConfig, ViTConfig } from '../shared/config';
import { dinoHead } from './dino-head';
import { initDinoParams, type Params } from './params';
import { bicubicMatrix1d, interpolatePosEmbed, posEmbedInterpolationMatrix } from './pos-embed';
import { vitForward, vitSelfAttention } from './vit';

const vit: ViTConfig = { patchSize: 4, imgSize: 16, embedDim: 16, depth: 2, numHeads: 2, mlpRatio: 2, qkvBias: true, lnEps: 1e-6 };
const head: HeadConfig = { outDim: 10, hiddenDim: 12, bottleneckDim: 6, nlayers: 3, normLastLayer: true };

function upload(): Params {
  const p: Params = {};
  for (const [n, t] of initDinoParams(vit, head, 1)) p[n] = tf.tensor(t.data, t.shape);
  return p;
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ViT forward', () => {
  it('gives CLS, tokens and attention of the right shapes for square and non-square inputs', () => {
    const p = upload();
    for (const [H, W] of [[16, 16], [8, 20], [12, 12]]) {
      const out = tf.tidy(() => {
        const o = vitForward(p, vit, tf.randomNormal([2, 3, H, W]), { withAttention: true });
        return [o.cls!, o.tokens!, o.attn!];
      });
      const N = 1 + (H / 4) * (W / 4);
      expect(out[0].shape).toEqual([2, 16]);
      expect(out[1].shape).toEqual([2, N, 16]);
      expect(out[2].shape).toEqual([2, 2, N, N]);
      // attention rows are probabilities
      const sums = tf.sum(out[2], -1).dataSync();
      sums.forEach((s) => expect(s).toBeCloseTo(1, 5));
      tf.dispose(out);
    }
    tf.dispose(Object.values(p));
  });

  it('computes the same outputs and query rows with head-by-head (chunked) attention', async () => {
    const p = upload();
    const x = tf.randomNormal([2, 3, 12, 16]);
    const [full, chunked, row] = tf.tidy(() => {
      const a = vitForward(p, vit, x, { withAttention: true });
      const b = vitForward(p, vit, x, { chunkAttentionAbove: 0, attentionQuery: 5 });
      return [[a.cls!, a.attn!], [b.cls!], [b.attn!]];
    });
    expect(row[0].shape).toEqual([2, 2, 1, 13]);
    const a = await full[0].data();
    const b = await chunked[0].data();
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 5));
    const expectedRow = await tf.slice(full[1], [0, 0, 5, 0], [2, 2, 1, 13]).data();
    const gotRow = await row[0].data();
    expectedRow.forEach((v, i) => expect(gotRow[i]).toBeCloseTo(v, 6));
    tf.dispose([...full, ...chunked, ...row, x, ...Object.values(p)]);
  });

  it('computes CLS alone in the last block (clsOnly) exactly as the whole forward, with the same gradients', async () => {
    const vars: Record<string, tf.Variable> = {};
    for (const [n, t] of initDinoParams(vit, head, 2)) if (n.startsWith('backbone.')) vars[n] = tf.variable(tf.tensor(t.data, t.shape));
    const x = tf.randomNormal([3, 3, 12, 16], 0, 1, 'float32', 4);
    const masks = [tf.tensor1d([1, 0, 1]), tf.tensor1d([1.25, 1.25, 0])];
    const names = Object.keys(vars);
    const run = (clsOnly: boolean) =>
      tf.variableGrads(() => {
        const o = vitForward(vars, vit, x, { dropPath: masks, clsOnly });
        expect(o.tokens === undefined).toBe(clsOnly);
        return tf.sum(tf.mul(o.cls!, tf.linspace(-1, 1, 3 * 16).reshape([3, 16]))) as tf.Scalar;
      }, names.map((n) => vars[n]));
    const full = run(false);
    const lean = run(true);
    expect((await lean.value.data())[0]).toBeCloseTo((await full.value.data())[0], 5);
    for (const n of names) {
      const a = await full.grads[vars[n].name].data();
      const b = await lean.grads[vars[n].name].data();
      let worst = 0;
      a.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - b[k]))));
      expect(worst, n).toBeLessThan(1e-5);
    }
    const inference = tf.tidy(() => [vitForward(vars, vit, x).cls!, vitForward(vars, vit, x, { clsOnly: true }).cls!]);
    const [c0, c1] = await Promise.all(inference.map((t) => t.data()));
    c0.forEach((v, k) => expect(c1[k]).toBeCloseTo(v, 5));
    tf.dispose([x, ...masks, ...inference, full.value, lean.value, ...Object.values(full.grads), ...Object.values(lean.grads), ...Object.values(vars)]);
  });

  it('rejects images whose shape does not fit, naming both shapes', () => {
    const p = upload();
    const x = tf.zeros([1, 3, 15, 16]);
    expect(() => vitForward(p, vit, x)).toThrow(/multiples of the patch size 4, got \[1, 3, 15, 16\]/);
    const y = tf.zeros([1, 1, 16, 16]);
    expect(() => vitForward(p, vit, y)).toThrow(/\[B, 3, H, W\]/);
    tf.dispose([x, y, ...Object.values(p)]);
  });

  it('does not leak tensors (forward, attention, head)', () => {
    const p = upload();
    const x = tf.randomNormal([1, 3, 16, 16]);
    // warm the interpolation cache once
    tf.dispose(vitSelfAttention(p, vit, tf.zeros([1, 3, 8, 12])));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.dispose(vitSelfAttention(p, vit, x, 0));
      tf.dispose(tf.tidy(() => dinoHead(p, head, vitForward(p, vit, x).cls!)));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, ...Object.values(p)]);
  });
});

describe('bicubic position-embedding interpolation', () => {
  it('has rows that sum to 1 and reproduces a constant table', () => {
    const m = posEmbedInterpolationMatrix(4, 3, 5);
    for (let r = 0; r < 15; r++) {
      let s = 0;
      for (let c = 0; c < 16; c++) s += m[r * 16 + c];
      expect(s).toBeCloseTo(1, 6);
    }
  });

  it('samples at (i + 0.5) / scale - 0.5, not at the size ratio', () => {
    // n = 8 -> 4 with scale (4 + 0.1) / 8: output 1 samples x = 1.5 / 0.5125 - 0.5 = 2.4268..., so it
    // weighs inputs 1..4 with PyTorch's cubic kernel (A = -0.75) at distances 1 + t, t, 1 - t, 2 - t.
    const scale = 4.1 / 8;
    const m = bicubicMatrix1d(8, 4, scale);
    const t = 1.5 / scale - 0.5 - 2;
    const A = -0.75;
    const near = (x: number) => ((A + 2) * x - (A + 3)) * x * x + 1;
    const far = (x: number) => ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
    const expected = [0, far(1 + t), near(t), near(1 - t), far(2 - t), 0, 0, 0];
    Array.from(m.subarray(8, 16)).forEach((w, j) => expect(w).toBeCloseTo(expected[j], 12));
    // the size-ratio mapping (i + 0.5) * 8 / 4 - 0.5 = 2.5 would give other weights
    expect(Math.abs(bicubicMatrix1d(8, 4, 0.5)[8 + 2] - m[8 + 2])).toBeGreaterThan(0.01);
  });

  it('keeps the stored table for the training grid and interpolates any other grid', () => {
    const pos = tf.randomNormal([1, 17, 8]);
    expect(interpolatePosEmbed(pos, 4, 4)).toBe(pos);
    const other = interpolatePosEmbed(pos, 2, 2);
    expect(other.shape).toEqual([1, 5, 8]);
    tf.dispose([pos, other]);
  });
});
