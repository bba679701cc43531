/**
 * Multi-head self-attention straight from the qkv projection, as one kernel (wasm: kernels/kernels.c;
 * WebGPU: webgpu/, WGSL; tfjs runs the active backend's kernel of the same name):
 * softmax(Q K^T / sqrt(hd)) V for every head, without the (B, nh, N, N) matrix ever being stored
 * and without the transposes that split and merge heads. The gradient recomputes the softmax rows
 * from qkv, so training keeps only qkv on the tape for the attention.
 *
 * Legend as in vit.ts: B images, N tokens, nh heads, D = nh * hd width; qkv is (B*N, 3D) with
 * features [q | k | v], each nh consecutive groups of hd.
 */
import * as tf from '@tensorflow/tfjs';
import { ATTENTION_GRAD_KERNEL, ATTENTION_KERNEL, type AttentionAttrs } from './kernels/wasm-kernels';

// Registered for the kernel, so the tape keeps qkv itself (tf.customGrad would keep a copy).
tf.registerGradient({
  kernelName: ATTENTION_KERNEL,
  inputsToSave: ['qkv'],
  gradFunc: (dy, [qkv], attrs) => ({ qkv: () => tf.engine().runKernel(ATTENTION_GRAD_KERNEL, { qkv, dy: dy as tf.Tensor }, attrs) as tf.Tensor }),
});

/**
 * Attention output of all heads, merged, for the queries [q0, q1) (default all N): (B*(q1-q0), D),
 * row b*(q1-q0) + (t - q0). Differentiable with respect to qkv. A query range smaller than N
 * (the CLS row alone: 0, 1) has a gradient on WebGPU only; wasm's gradient takes all N queries.
 */
export function fusedAttention(qkv: tf.Tensor2D, B: number, N: number, nh: number, q0 = 0, q1 = N): tf.Tensor2D {
  const attrs: AttentionAttrs = { B, N, nh, q0, q1, probs: false };
  return tf.engine().runKernel(ATTENTION_KERNEL, { qkv }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * Output rows (B*(q1-q0), D) and softmax probabilities (B, nh, q1-q0, N) of the queries [q0, q1)
 * only: what the inspector needs from the block it shows. Not differentiable.
 */
export function fusedAttentionRows(
  qkv: tf.Tensor2D,
  B: number,
  N: number,
  nh: number,
  q0: number,
  q1: number,
): { out: tf.Tensor2D; probs: tf.Tensor4D } {
  const attrs: AttentionAttrs = { B, N, nh, q0, q1, probs: true };
  const [out, probs] = tf.engine().runKernel(ATTENTION_KERNEL, { qkv }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { out: out as tf.Tensor2D, probs: probs as tf.Tensor4D };
}
