/**
 * LayerNorm and exact GELU as single kernels (wasm backend), each with a gradient that keeps only
 * the op's input on the tape and recomputes the rest: tfjs composes them from 5-10 elementwise ops,
 * and every intermediate of those stays alive until the backward pass.
 *
 * The gradients are registered for the kernels (tf.registerGradient), so the tape keeps the
 * inputs themselves; tf.customGrad would keep a copy of each (on wasm, a copy of the bytes).
 */
import * as tf from '@tensorflow/tfjs';
import { GELU_GRAD_KERNEL, GELU_KERNEL, LAYERNORM_GRAD_KERNEL, LAYERNORM_KERNEL } from './kernels/wasm-kernels';

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

tf.registerGradient({
  kernelName: LAYERNORM_KERNEL,
  inputsToSave: ['x', 'w'],
  gradFunc: (dy, [x, w], attrs) => {
    // One kernel gives all three (tfjs runs each closure in its own tidy, so compute them here).
    const [dx, dwb] = run(LAYERNORM_GRAD_KERNEL, { x, w, dy: dy as tf.Tensor }, attrs) as tf.Tensor[];
    const [dw, db] = tf.unstack(dwb); // dwb (2, D): the weight's and the bias's gradients
    dwb.dispose();
    return { x: () => dx, w: () => dw, b: () => db };
  },
});

tf.registerGradient({
  kernelName: GELU_KERNEL,
  inputsToSave: ['x'],
  gradFunc: (dy, [x]) => ({ x: () => run(GELU_GRAD_KERNEL, { x, dy: dy as tf.Tensor }) as tf.Tensor }),
});

/** LayerNorm over the last axis of x, weight w and bias b [D]; differentiable in all three. */
export function fusedLayerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  return run(LAYERNORM_KERNEL, { x, w, b }, { eps }) as tf.Tensor;
}

/** x Phi(x) (torch's nn.GELU default), differentiable. */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  return run(GELU_KERNEL, { x }) as tf.Tensor;
}
