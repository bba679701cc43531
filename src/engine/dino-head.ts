/**
 * The DINO projection head (official `DINOHead`, no batch norm): an MLP with GELU between its
 * Linear layers, then L2 normalisation, then a bias-free weight-normalised Linear layer whose
 * weight is rebuilt on every call as W[k, :] = g[k] * v[k, :] / ||v[k, :]||.
 *
 * Shapes: M rows in (B for one crop, crops*B in training), D backbone width, K prototypes.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig } from '../shared/config';
import { headLinearNames } from '../shared/param-shapes';
import { param, type Params } from './params';
import { gelu, linear } from './vit';

/**
 * Euclidean norm over `axis` (all elements when omitted) as sqrt(sum(x^2)). tf.norm computes
 * pow(|x|, 2), which gives NaN for zero entries on the WebGPU backend (SwiftShader, tfjs 4.22).
 */
export function l2Norm(x: tf.Tensor, axis?: number, keepDims = false): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(x), axis, keepDims));
}

/** L2-normalise each row: x / max(||x||, eps), as torch.nn.functional.normalize. */
export function l2Normalize(x: tf.Tensor, eps = 1e-12): tf.Tensor {
  return tf.div(x, tf.maximum(l2Norm(x, -1, true), eps));
}

/** Weight-normalised last-layer matrix [K, bottleneck]: g * v / ||v|| per output row. */
function weightNormMatrix(g: tf.Tensor, v: tf.Tensor): tf.Tensor2D {
  return tf.mul(g, tf.div(v, l2Norm(v, 1, true))) as tf.Tensor2D;
}

/** Head output logits [M, K] for features [M, D]. Not tidied: use inside tf.tidy or a gradient. */
export function dinoHead(p: Params, h: HeadConfig, x: tf.Tensor2D): tf.Tensor2D {
  if (x.rank !== 2) throw new Error(`head input must be [M, D], got [${x.shape.join(', ')}]`);
  const layers = headLinearNames(h);
  let y: tf.Tensor2D = x;
  layers.forEach((name, j) => {
    y = linear(y, param(p, `head.${name}.weight`), param(p, `head.${name}.bias`)); // [M, hidden or bottleneck]
    if (j < layers.length - 1) y = gelu(y) as tf.Tensor2D;
  });
  const w = weightNormMatrix(param(p, 'head.last_layer.weight_g'), param(p, 'head.last_layer.weight_v'));
  return linear(l2Normalize(y), w);
}
