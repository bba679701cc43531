/**
 * In-browser checks of dinolab's WebGPU attention kernels (src/engine/webgpu) against tfjs's
 * composite ops on the same backend, and the dispatches and bytes the kernels save. Run by
 * e2e/webgpu-attention.spec.ts through the conformance page: `?check=webgpu-attention&part=<part>`.
 *
 * - kernels: outputs, query rows, probabilities and d(qkv) on random inputs of several shapes;
 * - cls: the last block's CLS-only attention (vit.ts clsAttention, the query range [0, 1)), its
 *   output and d(qkv), from N = 1 to 3137, and what it dispatches;
 * - long-row: the inspector's CLS row of one head at N = 3137 (ViT-S/8 at 448 px) without the
 *   39 MB matrix;
 * - model: a small ViT's features, attention and parameter gradients with and without the kernels,
 *   and a ViT whose heads are too wide for them;
 * - count-attention, count-cls-attention, count-vit-s16, count-nano-step: dispatches and bytes
 *   written per attention call (all queries; CLS alone), per ViT-S/16 forward at 224 px and per nano
 *   training step, with and without the kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { activateBackend } from '../engine/backend';
import { DinoRun } from '../engine/dino-run';
import { fusedAttention, fusedAttentionRows } from '../engine/fused-attention';
import { ImageStore } from '../engine/image-store';
import { initDinoParams, type Params } from '../engine/params';
import { clsAttention, vitForward } from '../engine/vit';
import { installWebGPUKernels, uninstallWebGPUKernels, webgpuKernelsActive } from '../engine/webgpu/kernels';
import { modelPresets, runPresets, type ViTConfig } from '../shared/config';
import { Rng } from '../shared/rng';

/** One comparison: the largest difference relative to the reference's largest magnitude. */
export interface Compared {
  name: string;
  relErr: number;
  size: number;
}

/** Compares each (name, got, reference) pair, reading both back with await data(), and disposes them. */
async function compare(pairs: [string, tf.Tensor, tf.Tensor][]): Promise<Compared[]> {
  const out: Compared[] = [];
  for (const [name, got, ref] of pairs) {
    if (got.shape.join() !== ref.shape.join()) throw new Error(`${name}: shape [${got.shape}] differs from the reference's [${ref.shape}]`);
    const [a, b] = await Promise.all([got.data(), ref.data()]);
    let worst = 0;
    let scale = 1e-12;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Number.isNaN(a[i]) ? Infinity : Math.abs(a[i] - b[i]));
      scale = Math.max(scale, Math.abs(b[i]));
    }
    out.push({ name, relErr: worst / scale, size: a.length });
  }
  tf.dispose(pairs.flatMap(([, got, ref]) => [got, ref]));
  return out;
}

/**
 * vit.ts's composite attention on qkv (B*N, 3D), op for op: split heads, Q K^T * scale, softmax,
 * times V, merge heads. Returns the merged output (B*N, D) and the probabilities (B, nh, N, N).
 */
function compositeAttention(qkv: tf.Tensor, B: number, N: number, nh: number): { out: tf.Tensor2D; probs: tf.Tensor4D } {
  const D = qkv.shape[1]! / 3;
  const hd = D / nh;
  const split = tf.transpose(tf.reshape(qkv, [B, N, 3, nh, hd]), [2, 0, 3, 1, 4]); // (3, B, nh, N, hd)
  const [q, k, v] = tf.unstack(split).map((t) => tf.reshape(t, [B * nh, N, hd]));
  const all = tf.softmax(tf.mul(tf.matMul(q, k, false, true), hd ** -0.5)); // (B*nh, N, N)
  const ctx = tf.matMul(all, v); // (B*nh, N, hd)
  const out = tf.reshape(tf.transpose(tf.reshape(ctx, [B, nh, N, hd]), [0, 2, 1, 3]), [B * N, D]) as tf.Tensor2D;
  return { out, probs: tf.reshape(all, [B, nh, N, N]) as tf.Tensor4D };
}

/** Rows [q0, q1) of every image of a (B*N, D) tensor: (B*(q1-q0), D). */
const rowsOf = (x: tf.Tensor, B: number, N: number, q0: number, q1: number) =>
  tf.reshape(tf.slice(tf.reshape(x, [B, N, -1]), [0, q0, 0], [B, q1 - q0, -1]), [B * (q1 - q0), -1]);

interface KernelCase {
  B: number;
  N: number;
  nh: number;
  hd: number;
  /** The query rows asked for with their probabilities. */
  rows: [number, number];
}

/**
 * Shapes that reach every edge: N not a multiple of the 64 rows of a workgroup nor of the key
 * tile, N = 1, several workgroups of rows, B > 1, hd = 64 (ViT-S) and 16 (nano, the golden case),
 * a head width that is no power of two.
 */
export const KERNEL_CASES: KernelCase[] = [
  { B: 2, N: 50, nh: 3, hd: 16, rows: [5, 9] },
  { B: 1, N: 1, nh: 2, hd: 64, rows: [0, 1] },
  { B: 3, N: 130, nh: 2, hd: 64, rows: [0, 1] },
  { B: 2, N: 17, nh: 4, hd: 16, rows: [0, 17] },
  { B: 1, N: 70, nh: 1, hd: 24, rows: [69, 70] },
];

export interface KernelCaseResult {
  shape: string;
  checks: Compared[];
  /**
   * The keys' bias gradient, sum over tokens of dk, relative to the largest dk; zero in exact
   * arithmetic (softmax ignores a constant added to every score of a row). AdamW turns rounding
   * noise above its eps into steps of lr, so the kernels must keep it as small as the composite's.
   */
  keyBiasGrad: { fused: number; composite: number };
}

/** max |sum over rows of dk| / max |dk| for d(qkv) (B*N, 3D). */
async function keyBiasGrad(dqkv: tf.Tensor): Promise<number> {
  const D = dqkv.shape[1]! / 3;
  const [sums, dk] = tf.tidy(() => {
    const k = tf.slice(dqkv, [0, D], [-1, D]);
    return [tf.max(tf.abs(tf.sum(k, 0))), tf.max(tf.abs(k))];
  });
  const [a, b] = [(await sums.data())[0], (await dk.data())[0]];
  tf.dispose([sums, dk]);
  return a / Math.max(b, 1e-30);
}

/** The kernels against the composite ops on one case: output, rows, probabilities, d(qkv). */
async function checkKernelCase(c: KernelCase, seed: number): Promise<KernelCaseResult> {
  const { B, N, nh, hd } = c;
  const [q0, q1] = c.rows;
  const pairs = tf.tidy(() => {
    // Scores of a few units: softmax rows neither uniform nor one-hot.
    const qkv = tf.mul(tf.randomNormal([B * N, 3 * nh * hd], 0, 1, 'float32', seed), 2) as tf.Tensor2D;
    const dOut = tf.randomNormal([B * N, nh * hd], 0, 1, 'float32', seed + 1); // the output's gradient
    const ref = compositeAttention(qkv, B, N, nh);
    const refGrad = tf.grad((x: tf.Tensor) => compositeAttention(x, B, N, nh).out)(qkv, dOut);
    const rows = fusedAttentionRows(qkv, B, N, nh, q0, q1);
    const grad = tf.grad((x: tf.Tensor) => fusedAttention(x as tf.Tensor2D, B, N, nh))(qkv, dOut);
    return [
      ['output', fusedAttention(qkv, B, N, nh), ref.out],
      ['row output', rows.out, rowsOf(ref.out, B, N, q0, q1)],
      ['row probabilities', rows.probs, tf.slice(ref.probs, [0, 0, q0, 0], [B, nh, q1 - q0, N])],
      ['d(qkv)', grad, refGrad],
    ] as [string, tf.Tensor, tf.Tensor][];
  });
  const keyBias = { fused: await keyBiasGrad(pairs[3][1]), composite: await keyBiasGrad(pairs[3][2]) };
  return { shape: `B=${B} N=${N} nh=${nh} hd=${hd} rows [${q0}, ${q1})`, checks: await compare(pairs), keyBiasGrad: keyBias };
}

/** What one call stored and dispatched, counted on the WebGPU backend. */
export interface Counted {
  /** Compute dispatches (tfjs WebGPU programs run). */
  dispatches: number;
  /** Bytes of the programs' outputs: what the dispatches write to GPU memory. */
  bytesWritten: number;
  /** The largest single output of a dispatch, in bytes. */
  largestOutput: number;
  /** tfjs kernels run, as tf.profile counts them (reshapes and other free kernels included). */
  kernels: number;
  /** tf.profile's peak of live tensor bytes, less those live before the call. */
  peakBytes: number;
}

/** Runs f, counting every program the WebGPU backend dispatches and the bytes each writes. */
async function count(f: () => Promise<void>): Promise<Counted> {
  const backend = tf.backend() as unknown as WebGPUBackend;
  const original = backend.runWebGPUProgram;
  const c = { dispatches: 0, bytesWritten: 0, largestOutput: 0 };
  backend.runWebGPUProgram = function (program, ...rest) {
    const bytes = program.outputShape.reduce((a, b) => a * b, 1) * 4;
    if (bytes > 0) {
      c.dispatches++;
      c.bytesWritten += bytes;
      c.largestOutput = Math.max(c.largestOutput, bytes);
    }
    return original.call(this, program, ...rest);
  };
  try {
    const before = tf.memory().numBytes;
    const prof = await tf.profile(f);
    return { ...c, kernels: prof.kernels.length, peakBytes: prof.peakBytes - before };
  } finally {
    backend.runWebGPUProgram = original;
  }
}

/** With dinolab's kernels, then with tfjs's composite ops. */
async function withAndWithout<T>(f: () => Promise<T>): Promise<{ fused: T; composite: T }> {
  installWebGPUKernels();
  const fused = await f();
  uninstallWebGPUKernels();
  try {
    return { fused, composite: await f() };
  } finally {
    installWebGPUKernels();
  }
}

async function checkKernels(): Promise<KernelCaseResult[]> {
  if (!webgpuKernelsActive(64)) throw new Error('the WebGPU attention kernels are not active');
  const results: KernelCaseResult[] = [];
  for (const [i, c] of KERNEL_CASES.entries()) results.push(await checkKernelCase(c, 10 + i));
  return results;
}

/**
 * Shapes of the CLS-only attention: N = 1, a few tokens (the nano preset's 5 and 17), N not a
 * multiple of the key tile nor of a workgroup's 64 rows, several workgroups of keys, and 3137
 * (ViT-S/8 at 448 px); hd 16, 24 and 64; B up to 3.
 */
export const CLS_CASES: Omit<KernelCase, 'rows'>[] = [
  { B: 1, N: 1, nh: 2, hd: 64 },
  { B: 2, N: 5, nh: 3, hd: 16 },
  { B: 3, N: 17, nh: 4, hd: 16 },
  { B: 2, N: 50, nh: 2, hd: 24 },
  { B: 3, N: 130, nh: 2, hd: 64 },
  { B: 2, N: 3137, nh: 3, hd: 64 },
];

export interface ClsCaseResult extends KernelCaseResult {
  /** What vit.ts's clsAttention dispatched with the kernels, forward and backward. */
  dispatches: number;
}

/**
 * vit.ts's clsAttention with the kernels (the query range [0, 1)) against the same function on
 * tfjs's ops (kernels uninstalled): the output (B, D) and d(qkv) (B*N, 3D), whose q columns are
 * zero but CLS's.
 */
async function checkClsCase(c: Omit<KernelCase, 'rows'>, seed: number): Promise<ClsCaseResult> {
  const { B, N, nh, hd } = c;
  const qkv = tf.tidy(() => tf.mul(tf.randomNormal([B * N, 3 * nh * hd], 0, 1, 'float32', seed), 2)) as tf.Tensor2D;
  const dOut = tf.randomNormal([B, nh * hd], 0, 1, 'float32', seed + 1); // the CLS output's gradient
  const gradient = () => tf.grad((x: tf.Tensor) => clsAttention(x as tf.Tensor2D, B, N, nh))(qkv, dOut); // forward, then backward
  const both = () => tf.tidy(() => [clsAttention(qkv, B, N, nh), gradient()]);
  try {
    if (!webgpuKernelsActive(hd)) throw new Error('the WebGPU attention kernels are not active');
    let counted: tf.Tensor | undefined;
    const { dispatches } = await count(async () => {
      counted = tf.tidy(gradient);
      await counted.data();
    });
    counted!.dispose();
    const fused = both();
    uninstallWebGPUKernels();
    let ref: tf.Tensor[];
    try {
      ref = both();
    } finally {
      installWebGPUKernels();
    }
    const keyBias = { fused: await keyBiasGrad(fused[1]), composite: await keyBiasGrad(ref[1]) };
    const checks = await compare([
      ['CLS output', fused[0], ref[0]],
      ['d(qkv)', fused[1], ref[1]],
    ]);
    return { shape: `B=${B} N=${N} nh=${nh} hd=${hd} CLS`, checks, keyBiasGrad: keyBias, dispatches };
  } finally {
    tf.dispose([qkv, dOut]);
  }
}

async function checkCls(): Promise<ClsCaseResult[]> {
  const results: ClsCaseResult[] = [];
  for (const [i, c] of CLS_CASES.entries()) results.push(await checkClsCase(c, 30 + i));
  return results;
}

/**
 * The inspector's request on ViT-S/8 at 448 px, one head: the CLS row of N = 3137 tokens. The
 * reference is the composite path on the CLS query alone; the kernels must not store anything of
 * the size of the N x N matrix (39 MB) nor dispatch a program that writes one.
 */
async function checkLongRow(): Promise<{ N: number; matrixBytes: number; checks: Compared[]; counted: Counted }> {
  const N = 3137;
  const hd = 64;
  const qkv = tf.randomNormal([N, 3 * hd], 0, 1, 'float32', 7) as tf.Tensor2D;
  try {
    let got: { out: tf.Tensor2D; probs: tf.Tensor4D } | undefined;
    const counted = await count(async () => {
      got = fusedAttentionRows(qkv, 1, N, 1, 0, 1);
      await got.probs.data();
    });
    const pairs = tf.tidy(() => {
      const q = tf.slice(qkv, [0, 0], [1, hd]);
      const k = tf.slice(qkv, [0, hd], [N, hd]);
      const v = tf.slice(qkv, [0, 2 * hd], [N, hd]);
      const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), hd ** -0.5)); // (1, N)
      return [
        ['CLS row probabilities', got!.probs, tf.reshape(probs, [1, 1, 1, N])],
        ['CLS row output', got!.out, tf.matMul(probs, v)],
      ] as [string, tf.Tensor, tf.Tensor][];
    });
    const checks = await compare(pairs);
    return { N, matrixBytes: N * N * 4, checks, counted };
  } finally {
    qkv.dispose();
  }
}

/** The small ViT of the wasm kernels' unit test, with images of 12 x 16 px: N = 13 tokens, hd = 8. */
const SMALL_VIT: ViTConfig = { patchSize: 4, imgSize: 16, embedDim: 24, depth: 2, numHeads: 3, mlpRatio: 2, qkvBias: true, lnEps: 1e-6 };
const SMALL_HEAD = { outDim: 10, hiddenDim: 12, bottleneckDim: 6, nlayers: 3, normLastLayer: true };

function backboneParams(vit: ViTConfig, seed: number): Params {
  const p: Params = {};
  for (const [n, t] of initDinoParams(vit, SMALL_HEAD, seed)) if (n.startsWith('backbone.')) p[n] = tf.variable(tf.tensor(t.data, t.shape));
  return p;
}

/**
 * CLS features, last-block attention, one query's row, and the parameters' gradients of a loss on
 * every token: a fixed random projection (the sum of squares of LayerNorm outputs would be nearly
 * constant, its gradients rounding noise). Then the same of the CLS-only forward (training, k-NN
 * features: the last block computes CLS's row alone), its loss a projection of the CLS features.
 */
function modelOutputs(p: Params, x: tf.Tensor, probe: tf.Tensor, clsProbe: tf.Tensor) {
  return tf.tidy(() => {
    const o = vitForward(p, SMALL_VIT, x, { withAttention: true });
    const row = vitForward(p, SMALL_VIT, x, { attentionOfBlock: 1, attentionQuery: 7 }).attn!;
    const names = Object.keys(p);
    const vars = names.map((n) => p[n] as tf.Variable);
    const gradsOf = (loss: () => tf.Scalar) => {
      const { grads } = tf.variableGrads(loss, vars);
      return vars.map((v) => grads[v.name]);
    };
    const clsOnly = () => vitForward(p, SMALL_VIT, x, { clsOnly: true }).cls!;
    return {
      cls: o.cls!,
      attn: o.attn!,
      row,
      grads: gradsOf(() => tf.sum(tf.mul(vitForward(p, SMALL_VIT, x).tokens!, probe))),
      clsOnly: clsOnly(),
      clsOnlyGrads: gradsOf(() => tf.sum(tf.mul(clsOnly(), clsProbe))),
    };
  });
}

/** One head of 160, wider than the kernels take (MAX_HEAD_WIDTH): its attention stays on tfjs's ops. */
const WIDE_VIT: ViTConfig = { ...SMALL_VIT, embedDim: 160, numHeads: 1 };

/** Whether the wide-head ViT's forward runs on WebGPU with the kernels installed, to finite features. */
async function wideHeadRuns(x: tf.Tensor): Promise<boolean> {
  const p = backboneParams(WIDE_VIT, 4);
  try {
    const cls = tf.tidy(() => vitForward(p, WIDE_VIT, x).cls!);
    const values = await cls.data();
    cls.dispose();
    return values.every(Number.isFinite);
  } finally {
    tf.dispose(Object.values(p));
  }
}

async function checkModel(): Promise<{ checks: Compared[]; tensorsLeaked: number; wideHeadRuns: boolean }> {
  const p = backboneParams(SMALL_VIT, 3);
  const x = tf.randomNormal([2, 3, 12, 16], 0, 1, 'float32', 5);
  const probe = tf.randomNormal([2, 13, SMALL_VIT.embedDim], 0, 1, 'float32', 6); // like the tokens, (B, N, D)
  const clsProbe = tf.randomNormal([2, SMALL_VIT.embedDim], 0, 1, 'float32', 8); // like the CLS features, (B, D)
  const all = (o: ReturnType<typeof modelOutputs>) => [o.cls, o.attn, o.row, ...o.grads, o.clsOnly, ...o.clsOnlyGrads];
  uninstallWebGPUKernels();
  const ref = modelOutputs(p, x, probe, clsProbe);
  installWebGPUKernels();
  const before = tf.memory().numTensors;
  tf.dispose(all(modelOutputs(p, x, probe, clsProbe)));
  const tensorsLeaked = tf.memory().numTensors - before;
  const got = modelOutputs(p, x, probe, clsProbe);
  const names = Object.keys(p);
  const checks = await compare([
    ['CLS features', got.cls, ref.cls],
    ['last-block attention', got.attn, ref.attn],
    ['query 7 attention row', got.row, ref.row],
    ...got.grads.map((g, i) => [`d ${names[i]}`, g, ref.grads[i]] as [string, tf.Tensor, tf.Tensor]),
    ['CLS-only features', got.clsOnly, ref.clsOnly],
    ...got.clsOnlyGrads.map((g, i) => [`CLS-only d ${names[i]}`, g, ref.clsOnlyGrads[i]] as [string, tf.Tensor, tf.Tensor]),
  ]);
  const wide = await wideHeadRuns(x);
  tf.dispose([x, probe, clsProbe, ...Object.values(p)]);
  return { checks, tensorsLeaked, wideHeadRuns: wide };
}

/** One attention call of ViT-S/16 at 224 px (B = 1, N = 197, 6 heads of 64): inference, and forward + backward. */
async function countAttentionCall(): Promise<Record<'inference' | 'training', { fused: Counted; composite: Counted }>> {
  const [B, N, nh, hd] = [1, 197, 6, 64];
  const qkv = tf.randomNormal([B * N, 3 * nh * hd], 0, 1, 'float32', 3) as tf.Tensor2D;
  const dOut = tf.randomNormal([B * N, nh * hd], 0, 1, 'float32', 4);
  const attend = (x: tf.Tensor2D) => (webgpuKernelsActive(hd) ? fusedAttention(x, B, N, nh) : compositeAttention(x, B, N, nh).out);
  try {
    const inference = await withAndWithout(() =>
      count(async () => {
        const out = tf.tidy(() => attend(qkv));
        await out.data();
        out.dispose();
      }),
    );
    const training = await withAndWithout(() =>
      count(async () => {
        const g = tf.tidy(() => tf.grad((x: tf.Tensor) => attend(x as tf.Tensor2D))(qkv, dOut)); // forward, then backward from dOut
        await g.data();
        g.dispose();
      }),
    );
    return { inference, training };
  } finally {
    tf.dispose([qkv, dOut]);
  }
}

/**
 * The last block's CLS-only attention of ViT-S/16 at 224 px (vit.ts clsAttention; B = 1, N = 197,
 * 6 heads of 64): inference (k-NN features), and forward + backward (training).
 */
async function countClsAttentionCall(): Promise<Record<'inference' | 'training', { fused: Counted; composite: Counted }>> {
  const [B, N, nh, hd] = [1, 197, 6, 64];
  const qkv = tf.randomNormal([B * N, 3 * nh * hd], 0, 1, 'float32', 3) as tf.Tensor2D;
  const dOut = tf.randomNormal([B, nh * hd], 0, 1, 'float32', 4);
  try {
    const inference = await withAndWithout(() =>
      count(async () => {
        const out = tf.tidy(() => clsAttention(qkv, B, N, nh));
        await out.data();
        out.dispose();
      }),
    );
    const training = await withAndWithout(() =>
      count(async () => {
        const g = tf.tidy(() => tf.grad((x: tf.Tensor) => clsAttention(x as tf.Tensor2D, B, N, nh))(qkv, dOut));
        await g.data();
        g.dispose();
      }),
    );
    return { inference, training };
  } finally {
    tf.dispose([qkv, dOut]);
  }
}

/** The backbone's forward of ViT-S/16 on one 224 x 224 image (every block, every token). */
async function countVitS16Forward(): Promise<{ fused: Counted; composite: Counted }> {
  const vit = modelPresets['vit-small-16'];
  const p: Params = {};
  for (const [n, t] of initDinoParams(vit, SMALL_HEAD, 0)) if (n.startsWith('backbone.')) p[n] = tf.tensor(t.data, t.shape);
  const x = tf.randomNormal([1, 3, 224, 224], 0, 1, 'float32', 1);
  try {
    return await withAndWithout(() =>
      count(async () => {
        const tokens = tf.tidy(() => vitForward(p, vit, x).tokens!);
        await tokens.data();
        tokens.dispose();
      }),
    );
  } finally {
    tf.dispose([x, ...Object.values(p)]);
  }
}

/** One DINO step of the nano preset (after a first one), on random 64 x 64 images. */
async function countNanoStep(): Promise<{ fused: Counted; composite: Counted }> {
  const cfg = runPresets.nano;
  const rng = new Rng(3);
  const n = cfg.train.batchSize * 2;
  const store = new ImageStore();
  store.add(
    Array.from({ length: n }, (_, i) => ({ id: `r${i}`, label: null, width: 64, height: 64, pixels: Uint8Array.from({ length: 64 * 64 * 3 }, () => rng.int(256)) })),
  );
  try {
    return await withAndWithout(async () => {
      const run = new DinoRun(cfg, n);
      try {
        run.runStep(store);
        await run.flushMetrics();
        return await count(async () => {
          run.runStep(store);
          await run.flushMetrics();
        });
      } finally {
        run.dispose();
      }
    });
  } finally {
    store.dispose();
  }
}

export const PARTS = ['kernels', 'cls', 'long-row', 'model', 'count-attention', 'count-cls-attention', 'count-vit-s16', 'count-nano-step'] as const;
export type Part = (typeof PARTS)[number];

/** Runs one part on the WebGPU backend; the result is plain data for the e2e spec. */
export async function runWebGPUAttentionCheck(part: Part): Promise<unknown> {
  await activateBackend('webgpu');
  if (tf.getBackend() !== 'webgpu') throw new Error(`the WebGPU backend did not start (got ${tf.getBackend()})`);
  switch (part) {
    case 'kernels':
      return { cases: await checkKernels() };
    case 'cls':
      return { cases: await checkCls() };
    case 'long-row':
      return await checkLongRow();
    case 'model':
      return await checkModel();
    case 'count-attention':
      return await countAttentionCall();
    case 'count-cls-attention':
      return await countClsAttentionCall();
    case 'count-vit-s16':
      return await countVitS16Forward();
    case 'count-nano-step':
      return await countNanoStep();
  }
}
