import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../shared/rng';
import { dinoLoss, meanEntropy, nextCenter } from './dino-loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function softmax(row: number[], t: number): number[] {
  const m = Math.max(...row.map((v) => v / t));
  const e = row.map((v) => Math.exp(v / t - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

describe('DINO loss', () => {
  it('equals the pairwise cross-entropy loop of the official DINOLoss, skipping same-view pairs', async () => {
    const rng = new Rng(5);
    const B = 3;
    const K = 7;
    const ncrops = 4;
    const S = Array.from({ length: ncrops * B }, () => Array.from({ length: K }, () => rng.normal()));
    const T = Array.from({ length: 2 * B }, () => Array.from({ length: K }, () => rng.normal()));
    const C = Array.from({ length: K }, () => rng.normal() * 0.1);
    const [ts, tt] = [0.1, 0.04];
    let total = 0;
    let terms = 0;
    for (let iq = 0; iq < 2; iq++) {
      for (let v = 0; v < ncrops; v++) {
        if (v === iq) continue;
        let mean = 0;
        for (let b = 0; b < B; b++) {
          const q = softmax(T[iq * B + b].map((x, k) => x - C[k]), tt);
          const p = softmax(S[v * B + b], ts);
          mean += -q.reduce((a, qk, k) => a + qk * Math.log(p[k]), 0) / B;
        }
        total += mean;
        terms++;
      }
    }
    const before = tf.memory().numTensors;
    const out = tf.tidy(() => {
      const r = dinoLoss({ student: tf.tensor2d(S), teacher: tf.tensor2d(T), center: tf.tensor2d([C]), studentTemp: ts, teacherTemp: tt });
      return [r.loss, r.teacherProbs];
    });
    expect((await out[0].data())[0]).toBeCloseTo(total / terms, 5);
    const ent = meanEntropy(out[1] as tf.Tensor2D);
    const expectedEnt = T.map((row) => softmax(row.map((x, k) => x - C[k]), tt)).reduce((a, q) => a - q.reduce((s, v) => s + (v > 0 ? v * Math.log(v) : 0), 0), 0) / (2 * B);
    expect((await ent.data())[0]).toBeCloseTo(expectedEnt, 5);
    tf.dispose([...out, ent]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects outputs whose rows do not split into crops, naming the shapes', () => {
    const s = tf.zeros([5, 4]);
    const t = tf.zeros([4, 4]);
    expect(() => dinoLoss({ student: s as tf.Tensor2D, teacher: t as tf.Tensor2D, center: null, studentTemp: 0.1, teacherTemp: 0.04 })).toThrow(
      /teacher \[4, 4\] and student \[5, 4\]/,
    );
    tf.dispose([s, t]);
  });

  it('updates the center with the batch mean of the raw teacher output', async () => {
    const c = tf.tensor2d([[1, 2]]);
    const t = tf.tensor2d([[3, 0], [5, 4]]);
    const n = nextCenter(c, t, 0.9);
    expect(Array.from(await n.data()).map((v) => +v.toFixed(6))).toEqual([0.9 + 0.4, 1.8 + 0.2]);
    tf.dispose([c, t, n]);
  });
});
