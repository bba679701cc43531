/**
 * Parameters of the DINO network (backbone + head) as one flat record of tensors named exactly
 * as in the official `MultiCropWrapper` state dict (`backbone.blocks.0.attn.qkv.weight`,
 * `head.last_layer.weight_v`, ...), in PyTorch layouts. Loading and exporting weights is a rename.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, ViTConfig } from '../shared/config';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import { Rng } from '../shared/rng';
import { dinoShapes, shapeMismatch, type ShapeTable } from '../shared/param-shapes';


export type Params = Record<string, tf.Tensor>;
export type VarParams = Record<string, tf.Variable>;

/** Looks a parameter up, with an error that names it when it is missing. */
export function param(p: Params, name: string): tf.Tensor {
  const t = p[name];
  if (!t) throw new Error(`missing parameter ${name}`);
  return t;
}

/** Official parameter groups: no weight decay for biases and 1-D tensors (`utils.get_params_groups`). */
export function isRegularized(name: string, shape: readonly number[]): boolean {
  return !(name.endsWith('.bias') || shape.length === 1);
}

function truncNormal(rng: Rng, n: number, std: number): Float32Array {
  // Official trunc_normal_(std=.02) truncates at +-2 in absolute units, i.e. effectively untruncated
  // for small std; we truncate at 2 std, which is what the init intends.
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal();
    while (Math.abs(v) > 2) v = rng.normal();
    out[i] = v * std;
  }
  return out;
}

/**
 * Official initialisation: Linear weights and the cls/pos tokens truncated normal std 0.02, biases 0,
 * LayerNorm weight 1 / bias 0; the patch conv keeps torch's default (kaiming-uniform, bound 1/sqrt(fan_in));
 * the head's weight-norm scale g is 1. Deterministic for a seed. Returns host tensors.
 */
export function initDinoParams(vit: ViTConfig, head: HeadConfig, seed: number): TensorMap {
  const rng = new Rng(seed);
  const out: TensorMap = new Map();
  for (const [name, shape] of dinoShapes(vit, head)) {
    const n = shape.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (name.endsWith('cls_token') || name.endsWith('pos_embed')) data = truncNormal(rng, n, 0.02);
    else if (name.endsWith('patch_embed.proj.weight')) {
      const bound = 1 / Math.sqrt(shape[1] * shape[2] * shape[3]);
      data = Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
    } else if (name.endsWith('patch_embed.proj.bias')) {
      const bound = 1 / Math.sqrt(3 * vit.patchSize * vit.patchSize);
      data = Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
    } else if (name.endsWith('weight_g')) data = new Float32Array(n).fill(1);
    else if (name.endsWith('weight_v')) {
      // Created after the head's init pass in the official code, so it keeps torch's Linear default.
      const bound = 1 / Math.sqrt(shape[1]);
      data = Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
    }
    else if (/norm\d?\.weight$/.test(name)) data = new Float32Array(n).fill(1);
    else if (name.endsWith('.bias')) data = new Float32Array(n);
    else data = truncNormal(rng, n, 0.02); // Linear weights
    out.set(name, { dtype: 'float32', shape, data });
  }
  return out;
}

/** Checks that `tensors` holds every expected name with its shape (others are ignored); the error
 *  lists all problems by name. */
export function checkShapes(tensors: TensorMap, expected: ShapeTable, what: string): void {
  const { missing, misShaped } = shapeMismatch(tensors, expected);
  const problems = [...(missing.length ? [`missing ${missing.join(', ')}`] : []), ...misShaped];
  if (problems.length > 0) throw new Error(`${what} do not fit the model: ${problems.join('; ')}`);
}

let variableCounter = 0;

/** Uploads host tensors as variables (caller owns them). */
export function toVariables(tensors: TensorMap, names: string[], trainable: boolean): VarParams {
  const out: VarParams = {};
  for (const name of names) {
    const t = tensors.get(name);
    if (!t) throw new Error(`missing parameter ${name}`);
    const id = `${name}#${variableCounter++}`;
    out[name] = tf.tidy(() => tf.variable(tf.tensor(t.data, t.shape, t.dtype), trainable, id));
  }
  return out;
}

/** Reads parameters back to host memory (one awaited read per tensor). */
export async function toHost(p: Params): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const [name, t] of Object.entries(p)) {
    const data = (await t.data()) as Float32Array;
    const host: HostTensor = { dtype: 'float32', shape: t.shape.slice(), data: new Float32Array(data) };
    out.set(name, host);
  }
  return out;
}

export function disposeParams(p: Params): void {
  for (const t of Object.values(p)) t.dispose();
}
