/**
 * dinolab's own kernels for the tfjs wasm backend (kernels.c), installed in place of two of its
 * kernels that take slow paths:
 *
 * - BatchMatMul: tfjs-backend-wasm hands a product to XNNPACK only when it is one untransposed
 *   matrix pair; every batched or transposed product (attention, and every gradient autograd
 *   builds) falls to a scalar loop at ~2 GFLOP/s. Those cases now run a blocked SIMD GEMM; the
 *   XNNPACK case is left to tfjs unless our pool has more threads than tfjs's (tfjs 4.22 caps its
 *   own pool at half of navigator.hardwareConcurrency).
 * - Transpose: tfjs's generic loop; ours copies whole rows when the last axis stays in place.
 * - Slice and SplitV: tfjs's wasm slice copies about 30 ns per element here; ours copies rows.
 * - Sum over leading axes (bias gradients): tfjs transposes them to the end first.
 *
 * It also adds the fused attention kernels (fused-attention.ts). The module imports tfjs's own
 * WebAssembly.Memory, so kernels read and write tensors in place (kernel-pool.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { KernelPool } from './kernel-pool';

/** The parts of tfjs-backend-wasm's BackendWasm this module relies on. */
interface WasmBackend {
  wasm: { _malloc(n: number): number; _free(p: number): void; wasmMemory?: WebAssembly.Memory; asm?: Record<string, unknown> };
  dataIdMap: { get(id: object): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(id: object): boolean;
}

interface Installed {
  backend: WasmBackend;
  pool: KernelPool;
  /** Whether relaxed SIMD was allowed (the pool uses it only where the engine validates it). */
  relaxedAllowed: boolean;
}

let installed: Installed | null = null;
const originals = new Map<string, tf.KernelConfig>();

function memoryOf(backend: WasmBackend): WebAssembly.Memory {
  const m = backend.wasm.wasmMemory ?? Object.values(backend.wasm.asm ?? {}).find((v) => v instanceof WebAssembly.Memory);
  if (!(m instanceof WebAssembly.Memory)) throw new Error("tfjs-backend-wasm's memory was not found");
  return m;
}

const offsetOf = (b: WasmBackend, t: tf.TensorInfo) => b.dataIdMap.get(t.dataId).memoryOffset;
const product = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * How a batched matMul's output is cut into parts for `threads` threads: column blocks of equal
 * width (at most the kernel's 512, a multiple of its 8-wide panels) times row blocks of equal
 * height (a multiple of its 4-row panels), so that every thread gets the same number of equal
 * parts. The pool hands each thread a contiguous run of parts, so a part count that is not a
 * multiple of the threads, or parts of unequal size (197 rows as 128 + 69), leave a thread idle.
 */
export function gemmParts(batch: number, M: number, N: number, threads: number): { rowsPerPart: number; colsPerPart: number; parts: number } {
  const colBlocks = Math.ceil(N / 512);
  const colsPerPart = Math.min(512, Math.ceil(N / colBlocks / 8) * 8);
  const base = batch * Math.ceil(N / colsPerPart);
  // Rows per part for r row blocks; rounding up to whole panels can leave fewer blocks than r.
  const rowsFor = (r: number) => Math.max(4, Math.ceil(M / r / 4) * 4);
  let rowsPerPart = rowsFor(1);
  if (threads > 1) {
    // The fewest row blocks that give at least two parts per thread, in a multiple of the threads;
    // failing that (few rows), the most row blocks below that which still make such a multiple.
    const most = Math.max(1, Math.ceil(M / 16));
    const target = Math.min(most, Math.ceil((2 * threads) / base));
    const candidates = [...Array.from({ length: most - target + 1 }, (_, i) => target + i), ...Array.from({ length: target - 1 }, (_, i) => target - 1 - i)];
    const fits = candidates.find((r) => (base * Math.ceil(M / rowsFor(r))) % threads === 0);
    rowsPerPart = rowsFor(fits ?? target);
  }
  return { rowsPerPart, colsPerPart, parts: base * Math.ceil(M / rowsPerPart) };
}

function batchMatMul(ins: Installed, a: tf.TensorInfo, b: tf.TensorInfo, transA: boolean, transB: boolean): tf.TensorInfo {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const M = transA ? a.shape[ra - 1] : a.shape[ra - 2];
  const Ka = transA ? a.shape[ra - 2] : a.shape[ra - 1];
  const Kb = transB ? b.shape[rb - 1] : b.shape[rb - 2];
  const N = transB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (Ka !== Kb) {
    throw new Error(`matMul inner dimensions differ: [${a.shape}] x [${b.shape}] (transposeA ${transA}, transposeB ${transB})`);
  }
  const batchShape = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batchA = product(a.shape.slice(0, -2));
  const batchB = product(b.shape.slice(0, -2));
  const batch = product(batchShape);
  if (!((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1))) {
    throw new Error(`matMul batch shapes [${a.shape.slice(0, -2)}] and [${b.shape.slice(0, -2)}] cannot be broadcast as one batch`);
  }
  const out = ins.backend.makeOutput([...batchShape, M, N], 'float32');
  if (batch * M * N === 0) return out;
  if (Ka === 0) {
    // A sum of no products: zeros (the kernel would leave the output as the allocator gave it).
    new Float32Array(memoryOf(ins.backend).buffer, offsetOf(ins.backend, out), batch * M * N).fill(0);
    return out;
  }
  const { rowsPerPart, colsPerPart, parts } = gemmParts(batch, M, N, ins.pool.threads);
  ins.pool.run(
    'gemm',
    [
      offsetOf(ins.backend, a),
      offsetOf(ins.backend, b),
      offsetOf(ins.backend, out),
      batch,
      M,
      N,
      Ka,
      transA ? 1 : 0,
      transB ? 1 : 0,
      batchA === 1 ? 0 : M * Ka,
      batchB === 1 ? 0 : Ka * N,
      rowsPerPart,
      colsPerPart,
    ],
    {
      parts,
      scratchFloats: ins.pool.scratchFloatsFor('gemm'),
      work: 2 * batch * M * N * Ka,
    },
  );
  return out;
}

/** Attributes of the fused attention kernels: qkv is [B*N, 3 D] with D = nh * hd. */
export interface AttentionAttrs {
  B: number;
  N: number;
  nh: number;
  /** Queries [q0, q1) are computed (all: 0, N). */
  q0: number;
  q1: number;
  /** Also return the softmax rows of those queries, [B, nh, q1 - q0, N]. */
  probs: boolean;
}

function checkQkv(qkv: tf.TensorInfo, a: AttentionAttrs): number {
  const [rows, cols] = qkv.shape;
  if (qkv.shape.length !== 2 || rows !== a.B * a.N || cols % (3 * a.nh) !== 0) {
    throw new Error(`attention needs qkv [B*N, 3*D] = [${a.B * a.N}, 3*nh*hd] with nh = ${a.nh}, got [${qkv.shape}]`);
  }
  if (!(0 <= a.q0 && a.q0 < a.q1 && a.q1 <= a.N)) throw new Error(`query range [${a.q0}, ${a.q1}) is outside 0..${a.N}`);
  return cols / 3 / a.nh;
}

function attentionKernel(ins: Installed, qkv: tf.TensorInfo, a: AttentionAttrs): tf.TensorInfo | tf.TensorInfo[] {
  const hd = checkQkv(qkv, a);
  const D = a.nh * hd;
  const nq = a.q1 - a.q0;
  const out = ins.backend.makeOutput([a.B * nq, D], 'float32');
  const probs = a.probs ? ins.backend.makeOutput([a.B, a.nh, nq, a.N], 'float32') : null;
  ins.pool.run(
    'attention',
    [
      offsetOf(ins.backend, qkv),
      offsetOf(ins.backend, out),
      probs ? offsetOf(ins.backend, probs) : 0,
      a.B,
      a.N,
      a.nh,
      hd,
      hd ** -0.5,
      a.q0,
      a.q1,
    ],
    { parts: a.B * a.nh, scratchFloats: ins.pool.scratchFloatsFor('attention', a.N), floatArgs: [7], work: 4 * a.B * nq * a.N * D },
  );
  return probs ? [out, probs] : out;
}

function attentionGradKernel(ins: Installed, qkv: tf.TensorInfo, dy: tf.TensorInfo, a: AttentionAttrs): tf.TensorInfo {
  const hd = checkQkv(qkv, a);
  if (dy.shape[0] !== a.B * a.N || dy.shape[1] !== a.nh * hd) {
    throw new Error(`attention gradient needs dy [${a.B * a.N}, ${a.nh * hd}], got [${dy.shape}]`);
  }
  const dqkv = ins.backend.makeOutput(qkv.shape, 'float32');
  ins.pool.run(
    'attention_grad',
    [offsetOf(ins.backend, qkv), offsetOf(ins.backend, dy), offsetOf(ins.backend, dqkv), a.B, a.N, a.nh, hd, hd ** -0.5],
    { parts: a.B * a.nh, scratchFloats: ins.pool.scratchFloatsFor('attention', a.N), floatArgs: [7], work: 10 * a.B * a.N * a.N * a.nh * hd },
  );
  return dqkv;
}

export const LAYERNORM_KERNEL = 'DinolabLayerNorm';
export const LAYERNORM_GRAD_KERNEL = 'DinolabLayerNormGrad';
export const GELU_KERNEL = 'DinolabGelu';
export const GELU_GRAD_KERNEL = 'DinolabGeluGrad';

function rowsOf(x: tf.TensorInfo): [number, number] {
  const D = x.shape[x.shape.length - 1];
  return [product(x.shape) / D, D];
}

/** LayerNorm of the rows of x with weight w and bias b, [D] each. */
function layerNormKernel(ins: Installed, x: tf.TensorInfo, w: tf.TensorInfo, b: tf.TensorInfo, eps: number): tf.TensorInfo {
  const [M, D] = rowsOf(x);
  if (w.shape.length !== 1 || w.shape[0] !== D || b.shape[0] !== D) throw new Error(`layerNorm of rows of ${D} needs w and b [${D}], got [${w.shape}] and [${b.shape}]`);
  const y = ins.backend.makeOutput(x.shape, 'float32');
  const o = (t: tf.TensorInfo) => offsetOf(ins.backend, t);
  ins.pool.run('layernorm', [o(x), o(w), o(b), o(y), D, eps], { parts: M, scratchFloats: 0, floatArgs: [5], work: 8 * M * D });
  return y;
}

/** [dx, dwb]: dx like x, dwb [2, D] = (dw, db). */
function layerNormGradKernel(ins: Installed, x: tf.TensorInfo, w: tf.TensorInfo, dy: tf.TensorInfo, eps: number): tf.TensorInfo[] {
  const [M, D] = rowsOf(x);
  const dx = ins.backend.makeOutput(x.shape, 'float32');
  const dwb = ins.backend.makeOutput([2, D], 'float32');
  const o = (t: tf.TensorInfo) => offsetOf(ins.backend, t);
  ins.pool.run('layernorm_grad', [o(x), o(w), o(dy), o(dx), D, eps], { parts: M, scratchFloats: 0, floatArgs: [5], work: 12 * M * D });
  ins.pool.run('layernorm_grad_params', [o(x), o(dy), o(dwb), M, D, eps], { parts: 1, scratchFloats: 0, floatArgs: [5] });
  return [dx, dwb];
}

const GELU_CHUNK = 4096;

function geluKernel(ins: Installed, x: tf.TensorInfo): tf.TensorInfo {
  const n = product(x.shape);
  const y = ins.backend.makeOutput(x.shape, 'float32');
  ins.pool.run('gelu', [offsetOf(ins.backend, x), offsetOf(ins.backend, y), n], { parts: Math.ceil(n / GELU_CHUNK), scratchFloats: 0, work: 30 * n });
  return y;
}

function geluGradKernel(ins: Installed, x: tf.TensorInfo, dy: tf.TensorInfo): tf.TensorInfo {
  const n = product(x.shape);
  const dx = ins.backend.makeOutput(x.shape, 'float32');
  const o = (t: tf.TensorInfo) => offsetOf(ins.backend, t);
  ins.pool.run('gelu_grad', [o(x), o(dy), o(dx), n], { parts: Math.ceil(n / GELU_CHUNK), scratchFloats: 0, work: 40 * n });
  return dx;
}

export const HUE_SHIFT_KERNEL = 'DinolabHueShift';

/** x: RGB planes [3, N, H, W]; shifts6: [N] hue shifts in sextants (6 x turns). */
function hueShiftKernel(ins: Installed, x: tf.TensorInfo, shifts6: tf.TensorInfo): tf.TensorInfo {
  const [, N, H, W] = x.shape;
  if (x.shape.length !== 4 || x.shape[0] !== 3 || shifts6.shape[0] !== N) throw new Error(`hue shift needs planes [3, N, H, W] and [N] shifts, got [${x.shape}] and [${shifts6.shape}]`);
  const out = ins.backend.makeOutput(x.shape, 'float32');
  const o = (t: tf.TensorInfo) => offsetOf(ins.backend, t);
  ins.pool.run('hue_shift', [o(x), o(shifts6), o(out), N, H * W], { parts: N, scratchFloats: 0, work: 60 * N * H * W });
  return out;
}

/** Names of the fused attention kernels (wasm only; see wasmKernelsActive). */
export const ATTENTION_KERNEL = 'DinolabAttention';
export const ATTENTION_GRAD_KERNEL = 'DinolabAttentionGrad';

/** True when dinolab's wasm kernels (fused attention, LayerNorm, GELU, hue; GEMM) serve the active backend. */
export function wasmKernelsActive(): boolean {
  return installed !== null && tf.getBackend() === 'wasm' && tf.backend() === (installed.backend as unknown);
}

/** Drops size-1 axes and merges input axes that stay neighbours in the same order. */
export function simplifyTranspose(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = shape.map((s, i) => (s === 1 ? -1 : i)).filter((i) => i >= 0);
  const rank = new Map(keep.map((ax, j) => [ax, j]));
  let p = perm.filter((ax) => shape[ax] !== 1).map((ax) => rank.get(ax)!);
  let s = keep.map((ax) => shape[ax]);
  // Merge runs: output axes j, j+1 that read input axes i, i+1.
  for (let j = p.length - 2; j >= 0; j--) {
    if (p[j + 1] === p[j] + 1) {
      const i = p[j];
      s = [...s.slice(0, i), s[i] * s[i + 1], ...s.slice(i + 2)];
      p = p.filter((_, q) => q !== j + 1).map((ax) => (ax > i ? ax - 1 : ax));
    }
  }
  return { shape: s, perm: p };
}

function transpose(ins: Installed, x: tf.TensorInfo, perm: number[]): tf.TensorInfo | null {
  if (x.dtype !== 'float32' && x.dtype !== 'int32') return null;
  const outShape = perm.map((ax) => x.shape[ax]);
  const simple = simplifyTranspose(x.shape, perm);
  if (simple.shape.length > 6) return null;
  const out = ins.backend.makeOutput(outShape, x.dtype);
  const size = product(x.shape);
  if (size === 0) return out;
  const rank = Math.max(1, simple.shape.length);
  const s = [...(simple.shape.length ? simple.shape : [1]), 1, 1, 1, 1, 1, 1].slice(0, 6);
  const p = [...(simple.perm.length ? simple.perm : [0]), 0, 0, 0, 0, 0, 0].slice(0, 6);
  const rows = size / s[p[rank - 1]];
  ins.pool.run('transpose', [offsetOf(ins.backend, x), offsetOf(ins.backend, out), rank, ...s, ...p], { parts: rows, scratchFloats: 0, work: size });
  return out;
}

/** x[begin : begin + size] for float32/int32 tensors of up to 6 axes; null to leave it to tfjs. */
function slice(ins: Installed, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo | null {
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length > 6 || x.shape.length === 0) return null;
  const out = ins.backend.makeOutput(size, x.dtype);
  const n = product(size);
  if (n === 0) return out;
  const pad = (v: number[], fill: number) => [...v, ...Array(6 - v.length).fill(fill)];
  ins.pool.run('slice', [offsetOf(ins.backend, x), offsetOf(ins.backend, out), x.shape.length, ...pad(x.shape, 1), ...pad(begin, 0), ...pad(size, 1)], {
    parts: n / size[size.length - 1],
    scratchFloats: 0,
    work: n,
  });
  return out;
}

function register(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
}

function override(name: string, kernelFunc: tf.KernelFunc): void {
  const original = tf.getKernel(name, 'wasm');
  if (!original) throw new Error(`tfjs-backend-wasm has no ${name} kernel to replace`);
  if (!originals.has(name)) originals.set(name, original);
  tf.unregisterKernel(name, 'wasm');
  // Keep tfjs's setupFunc: a new wasm backend (after its heap aborted) must bind the kernel we
  // fall back to to its own module, not the dead one.
  tf.registerKernel({ ...originals.get(name)!, kernelFunc });
}

/**
 * Installs the kernels on the active wasm backend (call after tf.setBackend('wasm')). Safe to call
 * again: a new backend instance (after a reset) gets a new module instance. `relaxedSimd` asks for
 * the relaxed-SIMD build (fused multiply-add) where the engine validates it. It is off by default:
 * its other rounding moves the golden training check of the key biases (whose true gradient is
 * zero, so AdamW turns rounding noise into steps of the learning rate) from 0.0017 to 0.0029 in
 * Chromium, past the check's bound of 0.0027.
 */
export async function installWasmKernels(threads = 1, relaxedSimd = false): Promise<void> {
  if (tf.getBackend() !== 'wasm') throw new Error(`installWasmKernels needs the wasm backend, not ${tf.getBackend()}`);
  const backend = tf.backend() as unknown as WasmBackend;
  if (installed?.backend === backend && installed.pool.threads === Math.max(1, threads) && installed.relaxedAllowed === relaxedSimd) return;
  installed?.pool.dispose();
  const heap = { malloc: (n: number) => backend.wasm._malloc(n), free: (p: number) => backend.wasm._free(p) };
  const pool = await KernelPool.create(memoryOf(backend), heap, threads, relaxedSimd);
  const ins: Installed = { backend, pool, relaxedAllowed: relaxedSimd };
  installed = ins;
  const matMul = originals.get('BatchMatMul') ?? tf.getKernel('BatchMatMul', 'wasm')!;
  const trans = originals.get('Transpose') ?? tf.getKernel('Transpose', 'wasm')!;
  override('BatchMatMul', (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = args.attrs as { transposeA: boolean; transposeB: boolean };
    // XNNPACK is as fast per thread on one untransposed pair: keep it when it has as many threads.
    const single = product(a.shape.slice(0, -2)) === 1 && product(b.shape.slice(0, -2)) === 1;
    const xnnpack = single && !transposeA && !transposeB && ins.pool.threads <= getThreadsCount();
    if (installed !== ins || xnnpack) return matMul.kernelFunc(args);
    return batchMatMul(ins, a, b, transposeA, transposeB);
  });
  override('Transpose', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { perm } = args.attrs as { perm: number[] };
    return (installed === ins ? transpose(ins, x, perm) : null) ?? trans.kernelFunc(args);
  });
  const slc = originals.get('Slice') ?? tf.getKernel('Slice', 'wasm')!;
  override('Slice', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { begin, size } = args.attrs as { begin: number | number[]; size: number | number[] };
    if (installed !== ins) return slc.kernelFunc(args);
    const [b, z] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    return slice(ins, x, b, z) ?? slc.kernelFunc(args);
  });
  const splitV = originals.get('SplitV') ?? tf.getKernel('SplitV', 'wasm')!;
  override('SplitV', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { numOrSizeSplits, axis } = args.attrs as { numOrSizeSplits: number | number[]; axis: number };
    if (installed !== ins) return splitV.kernelFunc(args);
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const begin = x.shape.map(() => 0);
    const outs: tf.TensorInfo[] = [];
    for (const s of sizes) {
      const size = [...x.shape];
      size[ax] = s;
      const o = slice(ins, x, [...begin], size);
      if (!o) {
        outs.forEach((t) => ins.backend.disposeData(t.dataId));
        return splitV.kernelFunc(args);
      }
      outs.push(o);
      begin[ax] += s;
    }
    return outs;
  });
  const sum = originals.get('Sum') ?? tf.getKernel('Sum', 'wasm')!;
  override('Sum', (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    const { axis, keepDims } = args.attrs as { axis: number | number[]; keepDims: boolean };
    if (installed !== ins || x.dtype !== 'float32') return sum.kernelFunc(args);
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
    // Only sums over the leading axes: tfjs transposes those to the end first.
    if (!axes.length || axes.some((a, i) => a !== i) || axes.length === x.shape.length) return sum.kernelFunc(args);
    const M = product(x.shape.slice(0, axes.length));
    const rest = x.shape.slice(axes.length);
    const N = product(rest);
    const out = ins.backend.makeOutput(keepDims ? [...axes.map(() => 1), ...rest] : rest, 'float32');
    ins.pool.run('column_sums', [offsetOf(ins.backend, x), offsetOf(ins.backend, out), M, N], { parts: Math.ceil(N / 64), scratchFloats: 0, work: M * N });
    return out;
  });
  register(ATTENTION_KERNEL, (args) =>
    attentionKernel(ins, (args.inputs as { qkv: tf.TensorInfo }).qkv, args.attrs as unknown as AttentionAttrs),
  );
  register(ATTENTION_GRAD_KERNEL, (args) => {
    const { qkv, dy } = args.inputs as { qkv: tf.TensorInfo; dy: tf.TensorInfo };
    return attentionGradKernel(ins, qkv, dy, args.attrs as unknown as AttentionAttrs);
  });
  type In = Record<string, tf.TensorInfo>;
  register(LAYERNORM_KERNEL, ({ inputs, attrs }) => {
    const { x, w, b } = inputs as In;
    return layerNormKernel(ins, x, w, b, (attrs as { eps: number }).eps);
  });
  register(LAYERNORM_GRAD_KERNEL, ({ inputs, attrs }) => {
    const { x, w, dy } = inputs as In;
    return layerNormGradKernel(ins, x, w, dy, (attrs as { eps: number }).eps);
  });
  register(GELU_KERNEL, ({ inputs }) => geluKernel(ins, (inputs as In).x));
  register(HUE_SHIFT_KERNEL, ({ inputs }) => hueShiftKernel(ins, (inputs as In).x, (inputs as In).shifts6));
  register(GELU_GRAD_KERNEL, ({ inputs }) => geluGradKernel(ins, (inputs as In).x, (inputs as In).dy));
}

/** Puts tfjs's own kernels back (tests compare against them). */
export function uninstallWasmKernels(): void {
  for (const [name, config] of originals) {
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel(config);
  }
  originals.clear();
  for (const name of [ATTENTION_KERNEL, ATTENTION_GRAD_KERNEL, LAYERNORM_KERNEL, LAYERNORM_GRAD_KERNEL, GELU_KERNEL, GELU_GRAD_KERNEL, HUE_SHIFT_KERNEL]) if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  installed?.pool.dispose();
  installed = null;
}

/** True when the kernels run the relaxed-SIMD build (fused multiply-add where the CPU has it). */
export function wasmKernelsRelaxed(): boolean {
  return installed?.pool.relaxedSimd ?? false;
}

/** Threads the kernels run on (1 until installed, and wherever tfjs's memory is not shared). */
export function wasmKernelThreads(): number {
  return installed?.pool.threads ?? 1;
}

/**
 * Bytes the wasm backend's heap has grown to (its high-water mark: wasm memory never shrinks), or
 * null on other backends. What the browser holds for dinolab's tensors, allocator slack included.
 */
export function wasmHeapBytes(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  return memoryOf(tf.backend() as unknown as WasmBackend).buffer.byteLength;
}
