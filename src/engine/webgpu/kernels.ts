/**
 * dinolab's WGSL attention kernels for tfjs-backend-webgpu, registered under the same kernel names
 * as the wasm ones (fused-attention.ts runs them by name; tfjs picks the active backend's):
 *
 * - DinolabAttention: qkv (B*N, 3D) -> merged output rows (B*nq, D) of the queries [q0, q1), one
 *   dispatch (attention-forward.ts); with `probs`, also their softmax rows (B, nh, nq, N), a
 *   second dispatch (attention-probs.ts).
 * - DinolabAttentionGrad: (qkv, dy) -> d(qkv) (B*N, 3D) for the output rows (B*nq, D) of the
 *   queries [q0, q1) (all N in training, CLS alone in a CLS-only last block), two dispatches:
 *   the rows' statistics (attention-stats.ts), then the gradient (attention-grad.ts).
 *
 * Neither stores the (B, nh, N, N) matrix (except the probabilities, when asked for).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { ATTENTION_GRAD_KERNEL, ATTENTION_KERNEL, type AttentionAttrs } from '../kernels/wasm-kernels';
import { MAX_HEAD_WIDTH, attentionUniforms, type AttentionShape } from './attention-layout';
import { AttentionForwardProgram } from './attention-forward';
import { AttentionGradProgram } from './attention-grad';
import { AttentionProbsProgram } from './attention-probs';
import { AttentionStatsProgram } from './attention-stats';

/** The problem's shape from the kernel's attributes; throws naming expected and actual shapes. */
function shapeOf(qkv: tf.TensorInfo, a: AttentionAttrs): AttentionShape {
  const [rows, cols] = qkv.shape;
  if (qkv.shape.length !== 2 || rows !== a.B * a.N || cols % (3 * a.nh) !== 0) {
    throw new Error(`attention needs qkv [B*N, 3*D] = [${a.B * a.N}, 3*nh*hd] with nh = ${a.nh}, got [${qkv.shape}]`);
  }
  if (!(0 <= a.q0 && a.q0 < a.q1 && a.q1 <= a.N)) throw new Error(`query range [${a.q0}, ${a.q1}) is outside 0..${a.N}`);
  return { B: a.B, N: a.N, nh: a.nh, hd: cols / 3 / a.nh, q0: a.q0, nq: a.q1 - a.q0 };
}

/** How tfjs calls a kernel function. */
interface KernelArgs<Inputs> {
  inputs: Inputs;
  backend: WebGPUBackend;
  attrs: AttentionAttrs;
}

function attention({ inputs, backend, attrs }: KernelArgs<{ qkv: tf.TensorInfo }>) {
  const s = shapeOf(inputs.qkv, attrs);
  const out = backend.runWebGPUProgram(new AttentionForwardProgram(s), [inputs.qkv], 'float32', attentionUniforms(s));
  if (!attrs.probs) return out;
  const probs = backend.runWebGPUProgram(new AttentionProbsProgram(s), [inputs.qkv], 'float32', attentionUniforms(s));
  return [out, probs];
}

function attentionGrad({ inputs, backend, attrs }: KernelArgs<{ qkv: tf.TensorInfo; dy: tf.TensorInfo }>) {
  const { qkv, dy } = inputs;
  const s = shapeOf(qkv, attrs);
  if (dy.shape[0] !== s.B * s.nq || dy.shape[1] !== s.nh * s.hd) {
    throw new Error(`attention gradient of queries [${attrs.q0}, ${attrs.q1}) needs dy [${s.B * s.nq}, ${s.nh * s.hd}], got [${dy.shape}]`);
  }
  const stats = backend.runWebGPUProgram(new AttentionStatsProgram(s), [qkv, dy], 'float32', attentionUniforms(s));
  const dqkv = backend.runWebGPUProgram(new AttentionGradProgram(s), [qkv, dy, stats], 'float32', attentionUniforms(s));
  backend.disposeData(stats.dataId);
  return dqkv;
}

const KERNELS: [string, tf.KernelFunc][] = [
  [ATTENTION_KERNEL, attention as unknown as tf.KernelFunc],
  [ATTENTION_GRAD_KERNEL, attentionGrad as unknown as tf.KernelFunc],
];

/** Registers the kernels for 'webgpu' (again, if they were); vit.ts routes attention to them while the backend is active. */
export function installWebGPUKernels(): void {
  for (const [kernelName, kernelFunc] of KERNELS) {
    if (tf.getKernel(kernelName, 'webgpu')) tf.unregisterKernel(kernelName, 'webgpu');
    tf.registerKernel({ kernelName, backendName: 'webgpu', kernelFunc });
  }
}

/** Unregisters them: attention on WebGPU falls back to tfjs's composite ops (tests compare the two). */
export function uninstallWebGPUKernels(): void {
  for (const [kernelName] of KERNELS) if (tf.getKernel(kernelName, 'webgpu')) tf.unregisterKernel(kernelName, 'webgpu');
}

/**
 * True when the active backend is WebGPU and dinolab's attention kernels serve it for heads of
 * width hd (up to MAX_HEAD_WIDTH; wider heads, possible with few heads, keep tfjs's ops).
 */
export function webgpuKernelsActive(hd: number): boolean {
  return tf.getBackend() === 'webgpu' && hd <= MAX_HEAD_WIDTH && KERNELS.every(([name]) => tf.getKernel(name, 'webgpu') !== undefined);
}
