import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng';
import { adjustHue } from '../augment-color';
import { gemmParts, installWasmKernels, simplifyTranspose, uninstallWasmKernels, wasmKernelsRelaxed } from './wasm-kernels';

/** Plain-JS reference: C[b] = op(A[b]) op(B[b]) with batch broadcast of a size-1 side. */
function refMatMul(a: Float32Array, as: number[], b: Float32Array, bs: number[], tA: boolean, tB: boolean): Float32Array {
  const [ba, ra, ca] = as;
  const [bb, rb, cb] = bs;
  const M = tA ? ca : ra;
  const K = tA ? ra : ca;
  const N = tB ? rb : cb;
  const batch = Math.max(ba, bb);
  const out = new Float32Array(batch * M * N);
  for (let q = 0; q < batch; q++) {
    const oa = (ba === 1 ? 0 : q) * ra * ca;
    const ob = (bb === 1 ? 0 : q) * rb * cb;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const x = tA ? a[oa + k * ca + i] : a[oa + i * ca + k];
          const y = tB ? b[ob + j * cb + k] : b[ob + k * cb + j];
          s += x * y;
        }
        out[q * M * N + i * N + j] = s;
      }
  }
  return out;
}

function refTranspose(x: Float32Array, shape: number[], perm: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const oshape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const idx = new Array(shape.length).fill(0);
  for (let o = 0; o < x.length; o++) {
    let rem = o;
    for (let a = oshape.length - 1; a >= 0; a--) {
      idx[a] = rem % oshape[a];
      rem = Math.floor(rem / oshape[a]);
    }
    let src = 0;
    for (let a = 0; a < perm.length; a++) src += idx[a] * strides[perm[a]];
    out[o] = x[src];
  }
  return out;
}

const gen = new Rng(7);
const rng = () => gen.next();
const randn = (n: number) => Float32Array.from({ length: n }, () => rng() * 2 - 1);
const pick = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

beforeAll(async () => {
  await tf.setBackend('wasm');
  await installWasmKernels();
});
afterAll(() => uninstallWasmKernels());

describe('wasm GEMM kernel', () => {
  it('matches a plain loop for batched, transposed, broadcast and edge-sized products', () => {
    const cases: [number, number, number, number, number, boolean, boolean][] = [
      [1, 5, 7, 3, 1, false, true],
      [3, 1, 1, 1, 3, true, true],
      [4, 33, 70, 17, 4, true, false],
      [2, 300, 9, 600, 1, false, false], // N spans two 512-column blocks, K < one block
      [1, 13, 520, 11, 1, true, true], // K spans three 256-deep blocks
    ];
    for (let r = 0; r < 20; r++) cases.push([pick(1, 4), pick(1, 40), pick(1, 40), pick(1, 40), 0, rng() < 0.5, rng() < 0.5]);
    for (const [batch, M, K, N, bb0, tA, tB] of cases) {
      const bb = bb0 || (rng() < 0.3 ? 1 : batch);
      const as = tA ? [batch, K, M] : [batch, M, K];
      const bs = tB ? [bb, N, K] : [bb, K, N];
      const a = randn(as.reduce((x, y) => x * y));
      const b = randn(bs.reduce((x, y) => x * y));
      const got = tf.tidy(() => tf.matMul(tf.tensor3d(a, as as [number, number, number]), tf.tensor3d(b, bs as [number, number, number]), tA, tB).dataSync());
      const want = refMatMul(a, as, b, bs, tA, tB);
      expect(got.length, `[${as}] x [${bs}] ${tA} ${tB}`).toBe(want.length);
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst, `[${as}] x [${bs}] tA=${tA} tB=${tB}`).toBeLessThan(1e-4);
    }
  });

  it('runs the plain build by default, and the opt-in relaxed-SIMD build (fused multiply-add) agrees with it', async () => {
    expect(wasmKernelsRelaxed(), 'the app runs the plain build').toBe(false);
    const a = tf.tensor2d(randn(197 * 384), [197, 384]);
    const b = tf.tensor2d(randn(1536 * 384), [1536, 384]);
    const plain = tf.tidy(() => tf.matMul(a, b, false, true).dataSync().slice());
    await installWasmKernels(1, true);
    // vite.config.ts gives Node 20 the V8 flag; without relaxed SIMD this would compare nothing.
    expect(wasmKernelsRelaxed()).toBe(true);
    const fused = tf.tidy(() => tf.matMul(a, b, false, true).dataSync().slice());
    await installWasmKernels(1, false);
    let worst = 0;
    for (let i = 0; i < plain.length; i++) worst = Math.max(worst, Math.abs(fused[i] - plain[i]));
    // Sums of 384 products of unit normals (about 20): fused or not, they differ by a few ulps.
    expect(worst).toBeLessThan(1e-4);
    tf.dispose([a, b]);
  });

  it('cuts a product into equal parts, the same number for every thread', () => {
    // ViT-S/16's linear layers (197 tokens) and attention products, training's batched ones, edge sizes.
    for (const [batch, M, N] of [[1, 197, 1536], [1, 197, 384], [1, 197, 1152], [1, 785, 1152], [24, 65, 64], [768, 17, 17], [1, 5, 600], [1, 3, 3], [1, 37, 64], [1, 100, 64]]) {
      for (const threads of [1, 2, 3, 4]) {
        const { rowsPerPart, colsPerPart, parts } = gemmParts(batch, M, N, threads);
        const what = `[${batch}, ${M}, ${N}] on ${threads} threads`;
        expect(colsPerPart % 8, what).toBe(0);
        expect(colsPerPart, what).toBeLessThanOrEqual(512);
        expect(rowsPerPart % 4, what).toBe(0);
        const colBlocks = Math.ceil(N / colsPerPart);
        const rowBlocks = Math.ceil(M / rowsPerPart);
        expect(parts, what).toBe(batch * colBlocks * rowBlocks);
        // Equal parts: the last row and column blocks are short by less than one panel each.
        expect(M - (rowBlocks - 1) * rowsPerPart, what).toBeGreaterThan(rowsPerPart - 4 * rowBlocks);
        expect(N - (colBlocks - 1) * colsPerPart, what).toBeGreaterThan(colsPerPart - 8 * colBlocks);
        if (threads === 1) expect(parts, what).toBe(batch * colBlocks);
        else if (M >= 16 * threads) expect(parts % threads, what).toBe(0);
      }
    }
  });

  it('multiplies empty operands: no rows, no columns, or an empty inner dimension (all zeros)', () => {
    for (const [M, K, N] of [[0, 5, 3], [4, 5, 0], [4, 0, 3], [0, 0, 0]]) {
      const c = tf.tidy(() => {
        const r = tf.matMul(tf.ones([2, M, K]), tf.ones([2, K, N]));
        return { shape: r.shape, values: Array.from(r.dataSync()) };
      });
      expect(c.shape, `${M} x ${K} x ${N}`).toEqual([2, M, N]);
      expect(c.values, `${M} x ${K} x ${N}`).toEqual(new Array(2 * M * N).fill(0));
    }
  });

  it('leaves no tensors behind and gives gradients equal to the reference on the slow-path shapes', () => {
    const before = tf.memory().numTensors;
    const a = tf.tensor3d(randn(2 * 6 * 5), [2, 6, 5]);
    const b = tf.tensor3d(randn(2 * 7 * 5), [2, 7, 5]);
    const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))))([a, b]);
    const ours = g.map((t) => t.dataSync().slice());
    uninstallWasmKernels();
    const theirs = tf.tidy(() =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))))([a, b]).map((t) => t.dataSync().slice()),
    );
    for (let i = 0; i < 2; i++) for (let j = 0; j < ours[i].length; j++) expect(Math.abs(ours[i][j] - theirs[i][j])).toBeLessThan(1e-4);
    return installWasmKernels().then(() => {
      tf.dispose([a, b, ...g]);
      expect(tf.memory().numTensors).toBe(before);
    });
  });
});

describe('wasm transpose kernel', () => {
  it('matches a plain loop for random permutations of up to 6 axes', () => {
    for (let r = 0; r < 40; r++) {
      const rank = pick(1, 6);
      const shape = Array.from({ length: rank }, () => pick(1, 5));
      const perm = Array.from({ length: rank }, (_, i) => i).sort(() => rng() - 0.5);
      const x = randn(shape.reduce((a, b) => a * b, 1));
      const got = tf.tidy(() => tf.transpose(tf.tensor(x, shape), perm).dataSync());
      expect(Array.from(got), `[${shape}] perm [${perm}]`).toEqual(Array.from(refTranspose(x, shape, perm)));
    }
  });

  it('transposes int32 tensors too', () => {
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3], 'int32');
    expect(Array.from(tf.transpose(x).dataSync())).toEqual([1, 4, 2, 5, 3, 6]);
    x.dispose();
  });

  it('simplifies a permutation by dropping unit axes and merging axes that stay together', () => {
    expect(simplifyTranspose([2, 3, 4, 5], [0, 2, 3, 1])).toEqual({ shape: [2, 3, 20], perm: [0, 2, 1] });
    expect(simplifyTranspose([1, 4, 1, 6], [3, 2, 1, 0])).toEqual({ shape: [4, 6], perm: [1, 0] });
    expect(simplifyTranspose([2, 3], [0, 1])).toEqual({ shape: [6], perm: [0] });
  });
});

describe('wasm hue-shift kernel', () => {
  it('gives bit for bit what the composite tfjs ops give, grey pixels and ties included', async () => {
    const N = 5;
    const px = randn(3 * N * 7 * 9).map((v) => Math.abs(v));
    px[0] = px[N * 63] = px[2 * N * 63] = 0.5; // a grey pixel
    px[1] = px[N * 63 + 1] = 0.9; // r = g, the max
    const shifts = [0, 0.25, -0.5, 0.1, 0.49];
    const x = tf.tensor4d(px, [3, N, 7, 9]);
    const fused = tf.tidy(() => adjustHue(x, shifts).dataSync().slice());
    uninstallWasmKernels();
    const composite = tf.tidy(() => adjustHue(x, shifts).dataSync().slice());
    await installWasmKernels();
    x.dispose();
    expect(Array.from(fused)).toEqual(Array.from(composite));
  });
});

describe('wasm slice and split kernels', () => {
  it('give what tfjs own kernels give for random slices and splits of up to 6 axes', async () => {
    const cases: { x: tf.Tensor; begin: number[]; size: number[]; axis: number; splits: number[] }[] = [];
    for (let r = 0; r < 30; r++) {
      const rank = pick(1, 6);
      const shape = Array.from({ length: rank }, () => pick(1, 6));
      const begin = shape.map((s) => pick(0, s - 1));
      const size = shape.map((s, i) => pick(1, s - begin[i]));
      const axis = pick(0, rank - 1);
      const first = pick(0, shape[axis]);
      const x = rng() < 0.3 ? tf.tensor(Int32Array.from(randn(shape.reduce((a, b) => a * b)), (v) => Math.round(v * 100)), shape, 'int32') : tf.tensor(randn(shape.reduce((a, b) => a * b)), shape);
      cases.push({ x, begin, size, axis, splits: [first, shape[axis] - first] });
    }
    const run = () =>
      cases.map((c) =>
        tf.tidy(() => [Array.from(tf.slice(c.x, c.begin, c.size).dataSync()), ...tf.split(c.x, c.splits, c.axis).map((t) => [t.shape, Array.from(t.dataSync())])]),
      );
    const ours = run();
    uninstallWasmKernels();
    const theirs = run();
    await installWasmKernels();
    cases.forEach((c) => c.x.dispose());
    expect(ours).toEqual(theirs);
  });
});

describe('wasm column-sum kernel', () => {
  it('sums over leading axes as tfjs does, keepDims or not, and leaves other reductions to tfjs', async () => {
    const x = tf.tensor(randn(5 * 3 * 70), [5, 3, 70]);
    const run = () =>
      tf.tidy(() =>
        [tf.sum(x, 0), tf.sum(x, [0, 1]), tf.sum(x, [1, 0], true), tf.sum(x, 2), tf.sum(x), tf.sum(x, [0, 2])].map((t) => [t.shape, Array.from(t.dataSync())]),
      );
    const ours = run();
    uninstallWasmKernels();
    const theirs = run();
    await installWasmKernels();
    x.dispose();
    expect(ours.map((o) => o[0])).toEqual(theirs.map((t) => t[0]));
    ours.forEach((o, i) => (o[1] as number[]).forEach((v, j) => expect(v).toBeCloseTo((theirs[i][1] as number[])[j], 4)));
  });
});
