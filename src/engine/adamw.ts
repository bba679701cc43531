/**
 * AdamW as torch 1.13 computes it, with the official DINO parameter groups, plus per-parameter
 * gradient clipping (official `utils.clip_gradients`).
 *
 * Each parameter keeps its own step count: a parameter whose gradient was removed (the frozen last
 * layer) is skipped entirely (no decay, no moment update, no step), so its bias corrections lag.
 */
import * as tf from '@tensorflow/tfjs';
import { l2Norm } from './dino-head';
import { isRegularized, type VarParams } from './params';

interface AdamWSlots {
  m: tf.Variable;
  v: tf.Variable;
  /** Updates this parameter has received (torch's per-parameter `step`). */
  t: number;
}

export interface AdamWState {
  slots: Record<string, AdamWSlots>;
  beta1: number;
  beta2: number;
  eps: number;
}

export function createAdamW(params: VarParams, beta1 = 0.9, beta2 = 0.999, eps = 1e-8): AdamWState {
  const slots: Record<string, AdamWSlots> = {};
  for (const [name, p] of Object.entries(params)) {
    slots[name] = {
      m: tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      v: tf.tidy(() => tf.variable(tf.zerosLike(p), false)),
      t: 0,
    };
  }
  return { slots, beta1, beta2, eps };
}

export function disposeAdamW(s: AdamWState): void {
  for (const slot of Object.values(s.slots)) {
    slot.m.dispose();
    slot.v.dispose();
  }
}

/**
 * One AdamW step over the parameters that have a gradient. Weight decay (decoupled, before the
 * Adam update, scaled by the current lr) applies to regularized parameters only.
 */
export function adamWStep(
  s: AdamWState,
  params: VarParams,
  grads: Record<string, tf.Tensor>,
  lr: number,
  weightDecay: number,
): void {
  const { beta1, beta2, eps } = s;
  for (const [name, g] of Object.entries(grads)) {
    const p = params[name];
    const slot = s.slots[name];
    if (!p || !slot) throw new Error(`AdamW: no parameter ${name}`);
    slot.t += 1;
    const wd = isRegularized(name, p.shape) ? weightDecay : 0;
    const bc1 = 1 - beta1 ** slot.t;
    const bc2Sqrt = Math.sqrt(1 - beta2 ** slot.t);
    tf.tidy(() => {
      const m = tf.add(tf.mul(slot.m, beta1), tf.mul(g, 1 - beta1));
      const v = tf.add(tf.mul(slot.v, beta2), tf.mul(tf.square(g), 1 - beta2));
      const decayed = wd !== 0 ? tf.mul(p, 1 - lr * wd) : p;
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), eps);
      p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      slot.m.assign(m);
      slot.v.assign(v);
    });
  }
}

/**
 * Per-parameter clipping: every gradient whose L2 norm exceeds `clip` is scaled by clip / (norm + 1e-6).
 * Returns the clipped gradients (new tensors; inputs disposed) and the norms before clipping, stacked
 * in the order of `grads` (caller owns both). clip <= 0 disables clipping.
 */
export function clipGradients(
  grads: Record<string, tf.Tensor>,
  clip: number,
): { grads: Record<string, tf.Tensor>; norms: tf.Tensor1D; clipped: tf.Scalar } {
  return tf.tidy(() => {
    const names = Object.keys(grads);
    const norms = names.map((n) => l2Norm(grads[n]));
    const out: Record<string, tf.Tensor> = {};
    const clippedFlags: tf.Tensor[] = [];
    names.forEach((n, i) => {
      if (clip > 0) {
        const coef = tf.div(clip, tf.add(norms[i], 1e-6));
        // coef >= 1 leaves the gradient exactly as it was (multiplying by 1 is exact).
        out[n] = tf.mul(grads[n], tf.minimum(coef, 1));
        clippedFlags.push(tf.cast(tf.less(coef, 1), 'float32'));
      } else {
        out[n] = tf.clone(grads[n]);
      }
      grads[n].dispose();
    });
    // tf.addN of many inputs returns garbage on WebGPU (tfjs 4.22): sum a stack instead.
    const clipped = (clippedFlags.length ? tf.sum(tf.stack(clippedFlags)) : tf.scalar(0)) as tf.Scalar;
    return { grads: out, norms: tf.stack(norms) as tf.Tensor1D, clipped };
  });
}
