/**
 * LayerNorm and exact GELU as single kernels (wasm backend), each with a gradient that keeps only
 * the op's input on the tape and recomputes the rest: tfjs composes them from 5-10 elementwise ops,
 * and every intermediate of those stays alive until the backward pass.
 */
import * as tf from '@tensorflow/tfjs';
import { GELU_GRAD_KERNEL, GELU_KERNEL, LAYERNORM_GRAD_KERNEL, LAYERNORM_KERNEL } from './kernels/wasm-kernels';

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

/** LayerNorm over the last axis of x, weight w and bias b [D]; differentiable in all three. */
export function fusedLayerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const f = tf.customGrad(((xs: tf.Tensor, ws: tf.Tensor, bs: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xs, ws]);
    return {
      value: run(LAYERNORM_KERNEL, { x: xs, w: ws, b: bs }, { eps }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sx, sw]: tf.Tensor[]) => {
        const [dx, dwb] = run(LAYERNORM_GRAD_KERNEL, { x: sx, w: sw, dy }, { eps }) as tf.Tensor[];
        const [dw, db] = tf.unstack(dwb);
        dwb.dispose();
        return [dx, dw, db];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, w, b);
}

/** x Phi(x) (torch's nn.GELU default), differentiable. */
export function fusedGelu(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad(((xs: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xs]);
    return {
      value: run(GELU_KERNEL, { x: xs }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, [sx]: tf.Tensor[]) => run(GELU_GRAD_KERNEL, { x: sx, dy }) as tf.Tensor,
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x);
}
