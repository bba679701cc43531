import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadConfig } from '../shared/config';
import { Rng } from '../shared/rng';
import { dinoHead } from './dino-head';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Rows of `a` [M, I] times `b` [O, I] transposed, plus `bias` [O]: PyTorch's Linear, by hand. */
function linear(a: number[][], b: number[][], bias?: number[]): number[][] {
  return a.map((row) => b.map((w, o) => w.reduce((s, v, i) => s + v * row[i], bias?.[o] ?? 0)));
}
const unit = (r: number[]) => r.map((v) => v / Math.max(Math.hypot(...r), 1e-12));

describe('dinoHead', () => {
  it('with nlayers = 1 is one Linear named `mlp` (as the official DINOHead), no GELU, then the normalised last layer', () => {
    const h: HeadConfig = { outDim: 5, hiddenDim: 3, bottleneckDim: 3, nlayers: 1, normLastLayer: true };
    const rng = new Rng(1);
    const mat = (r: number, c: number) => Array.from({ length: r }, () => Array.from({ length: c }, () => rng.uniform(-1, 1)));
    const x = mat(2, 4); // [M, D]
    const w = mat(3, 4); // [bottleneck, D]
    const b = mat(1, 3)[0];
    const g = mat(5, 1).map(([v]) => v);
    const v = mat(5, 3); // [K, bottleneck]
    const p = {
      'head.mlp.weight': tf.tensor2d(w),
      'head.mlp.bias': tf.tensor1d(b),
      'head.last_layer.weight_g': tf.tensor2d(g, [5, 1]),
      'head.last_layer.weight_v': tf.tensor2d(v),
    };
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => dinoHead(p, h, tf.tensor2d(x)));
    expect(tf.memory().numTensors).toBe(before + 1);
    const last = v.map((row, k) => unit(row).map((e) => e * g[k])); // [K, bottleneck]
    const want = linear(linear(x, w, b).map(unit), last); // [M, K]
    const got = out.arraySync() as number[][];
    got.flat().forEach((value, i) => expect(value).toBeCloseTo(want.flat()[i], 5));
    out.dispose();
    Object.values(p).forEach((t) => t.dispose());
  });
});
