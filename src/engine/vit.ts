/**
 * The DINO Vision Transformer (official `vision_transformer.py`) as pure functions of
 * (parameters, tensors).
 *
 * Shape legend: B images, C = 3 channels, H x W pixels, p patch side, rows x cols = H/p x W/p patch
 * grid, P = rows * cols patches, N = 1 + P tokens (CLS first, patches row-major), D width,
 * nh heads, hd = D / nh head width, F = mlpRatio * D MLP width.
 *
 * Linear layers work on 2-D [B*N, D] matrices: the tfjs gradient of a [B, N, D] x [D, E] matMul has
 * the wrong shape. Weights keep PyTorch's [out, in] layout (y = x W^T + b).
 */
import * as tf from '@tensorflow/tfjs';
import type { ViTConfig } from '../shared/config';
import { fusedAttention, fusedAttentionRows } from './fused-attention';
import { wasmKernelsActive } from './kernels/wasm-kernels';
import { webgpuKernelsActive } from './webgpu/kernels';
import { fusedGelu, fusedLayerNorm } from './fused-ops';
import { interpolatePosEmbed } from './pos-embed';
import { param, type Params } from './params';

/**
 * x W^T with every matMul untransposed, forward and backward, for tfjs's own wasm kernels: they only
 * take their fast (XNNPACK) path for untransposed matMuls, and autograd's gradients use transpose
 * flags; explicit transposes of the (small) weight and of dy are cheaper than their slow path.
 */
const matMulWeightT = tf.customGrad(((x: tf.Tensor, w: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x as tf.Tensor2D, tf.transpose(w) as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [xs, ws] = saved;
      return [tf.matMul(dy as tf.Tensor2D, ws as tf.Tensor2D), tf.matMul(tf.transpose(dy) as tf.Tensor2D, xs as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]);

/** y = x W^T + b for x [M, in], W [out, in], b [out] -> [M, out]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor2D {
  // dinolab's own wasm GEMM reads W transposed in place; tfjs's own wasm kernels would take their slow path.
  const y =
    tf.getBackend() === 'wasm' && !wasmKernelsActive()
      ? matMulWeightT(x, w)
      : tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D, false, true);
  return (b ? tf.add(y, b) : y) as tf.Tensor2D;
}

/** Exact (erf) GELU, as torch's nn.GELU default. */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (wasmKernelsActive()) return fusedGelu(x);
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** LayerNorm over the last axis of a 2-D [M, D] input. */
export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor2D {
  if (wasmKernelsActive()) return fusedLayerNorm(x, w, b, eps) as tf.Tensor2D;
  const { mean, variance } = tf.moments(x, -1, true);
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  return tf.add(tf.mul(normed, w), b) as tf.Tensor2D;
}

/** Throws an error naming expected and actual shape unless x is [B, 3, H, W] with H, W multiples of p. */
function checkImages(x: tf.Tensor, c: ViTConfig): [number, number, number, number] {
  const [B, C, H, W] = x.shape;
  if (x.rank !== 4 || C !== 3 || H % c.patchSize !== 0 || W % c.patchSize !== 0 || H === 0 || W === 0) {
    throw new Error(
      `images must be [B, 3, H, W] with H and W multiples of the patch size ${c.patchSize}, got [${x.shape.join(', ')}]`,
    );
  }
  return [B, C, H, W];
}

/**
 * Patch embedding + CLS token + (interpolated) position embedding: x [B, 3, H, W] -> [B, N, D].
 * The 'conv' with stride = kernel = p is a reshape + matMul (no conv gradients needed, fast on wasm).
 */
export function prepareTokens(p: Params, c: ViTConfig, x: tf.Tensor): tf.Tensor3D {
  const [B, C, H, W] = checkImages(x, c);
  const ps = c.patchSize;
  const rows = H / ps;
  const cols = W / ps;
  const D = c.embedDim;
  return tf.tidy(() => {
    const patches = tf.reshape(
      tf.transpose(tf.reshape(x, [B, C, rows, ps, cols, ps]), [0, 2, 4, 1, 3, 5]), // (B, rows, cols, C, p, p)
      [B * rows * cols, C * ps * ps],
    );
    const w = tf.reshape(param(p, 'backbone.patch_embed.proj.weight'), [D, C * ps * ps]);
    const emb = tf.reshape(linear(patches, w, param(p, 'backbone.patch_embed.proj.bias')), [B, rows * cols, D]);
    const cls = tf.tile(param(p, 'backbone.cls_token'), [B, 1, 1]); // (B, 1, D)
    const tokens = tf.concat([cls, emb], 1); // (B, N, D)
    return tf.add(tokens, interpolatePosEmbed(param(p, 'backbone.pos_embed'), rows, cols)) as tf.Tensor3D;
  });
}

/** Per-sample residual keep masks for stochastic depth: [B] values 0 or 1/(1-rate). */
export type DropPathMasks = (tf.Tensor | null)[];

/**
 * Above this many attention weights (B * nh * N * N) the attention is computed one (image, head) at a
 * time, so the full (B*nh, N, N) matrix never exists at once: ViT-S/8 at 448 px has 6 x 3137^2
 * = 59M weights per block, which the wasm batched matMul cannot even index. (The fused wasm kernel
 * never stores the matrix at all.)
 */
const CHUNKED_ATTENTION_ABOVE = 1 << 24;

/** Which attention probabilities a block returns: none, all (B, nh, N, N), or one query's row (B, nh, 1, N). */
type AttentionWant = 'none' | 'all' | { queryRow: number };

/**
 * Multi-head self-attention on x2d [B*N, D]. Returns the projected output (unless `probsOnly`) and,
 * when asked, the softmax probabilities.
 */
function attention(
  p: Params,
  c: ViTConfig,
  i: number,
  x2d: tf.Tensor2D,
  B: number,
  N: number,
  want: AttentionWant,
  chunkAbove = CHUNKED_ATTENTION_ABOVE,
  probsOnly = false,
): [tf.Tensor2D | undefined, tf.Tensor4D | undefined] {
  const D = c.embedDim;
  const nh = c.numHeads;
  const hd = D / nh;
  const pre = `backbone.blocks.${i}.attn.`;
  const qkv = linear(x2d, param(p, `${pre}qkv.weight`), c.qkvBias ? param(p, `${pre}qkv.bias`) : undefined); // (B*N, 3D)
  const project = (merged: tf.Tensor2D) => linear(merged, param(p, `${pre}proj.weight`), param(p, `${pre}proj.bias`));
  // dinolab's fused kernels (wasm, WebGPU) never store the (B, nh, N, N) matrix unless it is asked for.
  if (wasmKernelsActive() || webgpuKernelsActive(hd)) {
    if (want === 'none') return [project(fusedAttention(qkv, B, N, nh)), undefined];
    if (want === 'all') {
      const r = fusedAttentionRows(qkv, B, N, nh, 0, N); // (B*N, D), (B, nh, N, N)
      return [project(r.out), r.probs];
    }
    const row = fusedAttentionRows(qkv, B, N, nh, want.queryRow, want.queryRow + 1).probs; // (B, nh, 1, N)
    return [probsOnly ? undefined : project(fusedAttention(qkv, B, N, nh)), row];
  }
  // qkv features are [q | k | v], each split into nh consecutive groups of hd.
  const split = tf.transpose(tf.reshape(qkv, [B, N, 3, nh, hd]), [2, 0, 3, 1, 4]); // (3, B, nh, N, hd)
  const [q, k, v] = tf.unstack(split).map((t) => tf.reshape(t, [B * nh, N, hd]));
  const scale = hd ** -0.5;
  const probsOf = (qs: tf.Tensor, ks: tf.Tensor) => tf.softmax(tf.mul(tf.matMul(qs, ks, false, true), scale));
  let probs: tf.Tensor4D | undefined;
  if (typeof want === 'object') {
    const row = probsOf(tf.slice(q, [0, want.queryRow, 0], [B * nh, 1, hd]), k); // (B*nh, 1, N)
    probs = tf.reshape(row, [B, nh, 1, N]);
    if (probsOnly) return [undefined, probs];
  }
  let ctx: tf.Tensor; // (B*nh, N, hd)
  if (B * nh * N * N <= chunkAbove || want === 'all') {
    const all = probsOf(q, k); // (B*nh, N, N)
    ctx = tf.matMul(all, v);
    if (want === 'all') probs = tf.reshape(all, [B, nh, N, N]);
  } else {
    const parts: tf.Tensor[] = [];
    for (let j = 0; j < B * nh; j++) {
      parts.push(
        tf.tidy(() => {
          const slice = (t: tf.Tensor) => tf.slice(t, [j, 0, 0], [1, N, hd]);
          return tf.matMul(probsOf(slice(q), slice(k)), slice(v));
        }),
      );
    }
    ctx = tf.concat(parts, 0);
  }
  const merged = tf.reshape(tf.transpose(tf.reshape(ctx, [B, nh, N, hd]), [0, 2, 1, 3]), [B * N, D]);
  return [project(merged as tf.Tensor2D), probs];
}

function dropPath(branch: tf.Tensor2D, mask: tf.Tensor | null | undefined, B: number, N: number, D: number): tf.Tensor2D {
  if (!mask) return branch;
  return tf.reshape(tf.mul(tf.reshape(branch, [B, N, D]), tf.reshape(mask, [B, 1, 1])), [B * N, D]);
}

/**
 * The CLS token's attention output in a block, (B, D): its query against every token's key and
 * value, from qkv (B*N, 3D). What the last block needs when only CLS leaves the network.
 * Exported for the WebGPU kernels' checks (src/conformance/webgpu-attention.ts).
 */
export function clsAttention(qkv: tf.Tensor2D, B: number, N: number, nh: number): tf.Tensor2D {
  const D = qkv.shape[1] / 3;
  const hd = D / nh;
  // On WebGPU, the fused kernels on the query range [0, 1): one dispatch forward, two backward, and
  // only qkv on the tape. (wasm's fused gradient takes all N queries, so wasm keeps the ops below,
  // on its own matMul, transpose and slice kernels.)
  if (webgpuKernelsActive(hd)) return fusedAttention(qkv, B, N, nh, 0, 1);
  // Rank-3 slices only: tfjs-webgpu 4.22 gets the gradient of a rank-5 slice at a non-zero begin
  // wrong (the golden training checks caught it).
  const t = tf.reshape(qkv, [B, N, 3 * D]);
  const q = tf.reshape(tf.slice(t, [0, 0, 0], [B, 1, D]), [B * nh, 1, hd]); // CLS's query per head
  const heads = (part: number) => tf.reshape(tf.transpose(tf.reshape(tf.slice(t, [0, 0, part * D], [B, N, D]), [B, N, nh, hd]), [0, 2, 1, 3]), [B * nh, N, hd]);
  const k = heads(1);
  const v = heads(2);
  const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), hd ** -0.5)); // (B*nh, 1, N)
  return tf.reshape(tf.matMul(probs, v), [B, D]) as tf.Tensor2D; // heads in order, as the merge of all tokens
}

/**
 * A block whose output is read only at CLS (the last block, when only CLS features leave the
 * network): keys and values of every token, then the query, projection and MLP of CLS alone.
 * Returns CLS's output, (B, D): the same values as block()'s CLS rows, at about a quarter of the work.
 */
function clsBlock(p: Params, c: ViTConfig, a: BlockArgs): tf.Tensor2D {
  const { i, x, B, N, mask } = a;
  const pre = `backbone.blocks.${i}.`;
  const D = c.embedDim;
  const h1 = layerNorm(x, param(p, `${pre}norm1.weight`), param(p, `${pre}norm1.bias`), c.lnEps);
  const qkv = linear(h1, param(p, `${pre}attn.qkv.weight`), c.qkvBias ? param(p, `${pre}attn.qkv.bias`) : undefined); // (B*N, 3D)
  const att = linear(clsAttention(qkv, B, N, c.numHeads), param(p, `${pre}attn.proj.weight`), param(p, `${pre}attn.proj.bias`));
  const xCls = tf.reshape(tf.slice(tf.reshape(x, [B, N, D]), [0, 0, 0], [B, 1, D]), [B, D]) as tf.Tensor2D;
  const x1 = tf.add(xCls, dropPath(att, mask, B, 1, D)) as tf.Tensor2D;
  const h2 = layerNorm(x1, param(p, `${pre}norm2.weight`), param(p, `${pre}norm2.bias`), c.lnEps);
  const m = linear(
    gelu(linear(h2, param(p, `${pre}mlp.fc1.weight`), param(p, `${pre}mlp.fc1.bias`))),
    param(p, `${pre}mlp.fc2.weight`),
    param(p, `${pre}mlp.fc2.bias`),
  );
  return tf.add(x1, dropPath(m, mask, B, 1, D)) as tf.Tensor2D;
}

interface BlockOut {
  x?: tf.Tensor2D; // (B*N, D); absent when only the attention was asked for
  attn?: tf.Tensor4D; // (B, nh, N, N) softmax probabilities (or (B, nh, 1, N) for one query row), when asked for
}

/** One block's inputs: block index i, tokens x (B*N, D) of B images with N tokens each. */
interface BlockArgs {
  i: number;
  x: tf.Tensor2D;
  B: number;
  N: number;
  /** Stochastic-depth keep mask [B] (student training only). */
  mask?: tf.Tensor | null;
  want?: AttentionWant;
  chunkAbove?: number;
  /** Stop after the attention probabilities (the inspector's last block). */
  probsOnly?: boolean;
}

/** One pre-norm block: x + attn(norm1(x)), then x + mlp(norm2(x)). */
export function block(p: Params, c: ViTConfig, a: BlockArgs): BlockOut {
  const { i, x, B, N, mask } = a;
  const pre = `backbone.blocks.${i}.`;
  const D = c.embedDim;
  const h1 = layerNorm(x, param(p, `${pre}norm1.weight`), param(p, `${pre}norm1.bias`), c.lnEps);
  const [att, attn] = attention(p, c, i, h1, B, N, a.want ?? 'none', a.chunkAbove, a.probsOnly);
  if (!att) return { attn };
  const x1 = tf.add(x, dropPath(att, mask, B, N, D)) as tf.Tensor2D;
  const h2 = layerNorm(x1, param(p, `${pre}norm2.weight`), param(p, `${pre}norm2.bias`), c.lnEps);
  const m = linear(
    gelu(linear(h2, param(p, `${pre}mlp.fc1.weight`), param(p, `${pre}mlp.fc1.bias`))),
    param(p, `${pre}mlp.fc2.weight`),
    param(p, `${pre}mlp.fc2.bias`),
  );
  return { x: tf.add(x1, dropPath(m, mask, B, N, D)) as tf.Tensor2D, attn };
}

interface ForwardOptions {
  /** Stochastic-depth masks, one per block (student training only). */
  dropPath?: DropPathMasks;
  /** Also return the last block's attention probabilities (B, nh, N, N) (conformance, tests). */
  withAttention?: boolean;
  /** Return only this block's attention and stop there: nothing after its softmax is computed. */
  attentionOfBlock?: number;
  /** Return only this query token's attention row (B, nh, 1, N): what the inspector shows. */
  attentionQuery?: number;
  /** Attention-weight count above which heads are computed one at a time (tests lower it). */
  chunkAttentionAbove?: number;
  /**
   * Only CLS features are wanted (training, k-NN features): the last block computes CLS's row
   * alone (clsBlock), and `tokens` is absent. Not with the attention options.
   */
  clsOnly?: boolean;
}

interface ForwardOut {
  /** All tokens after the final LayerNorm, (B, N, D); absent when stopped early for attention. */
  tokens?: tf.Tensor3D;
  /** CLS features after the final LayerNorm, (B, D). */
  cls?: tf.Tensor2D;
  /** Attention probabilities of the requested block, (B, nh, N, N) or (B, nh, 1, N). */
  attn?: tf.Tensor4D;
  grid: [number, number];
}

/** The backbone. Not tidied: call inside tf.tidy (or a gradient function) and keep what you need. */
export function vitForward(p: Params, c: ViTConfig, x: tf.Tensor, opts: ForwardOptions = {}): ForwardOut {
  const [B, , H, W] = checkImages(x, c);
  const grid: [number, number] = [H / c.patchSize, W / c.patchSize];
  const N = 1 + grid[0] * grid[1];
  const D = c.embedDim;
  const attentionOnly = opts.attentionOfBlock !== undefined;
  const last = opts.attentionOfBlock ?? c.depth - 1;
  if (last < 0 || last >= c.depth) throw new Error(`block ${last} out of range 0..${c.depth - 1}`);
  const clsOnly = !!opts.clsOnly && !attentionOnly && !opts.withAttention && opts.attentionQuery === undefined;
  const lastWant: AttentionWant =
    opts.attentionQuery !== undefined ? { queryRow: opts.attentionQuery } : attentionOnly || opts.withAttention ? 'all' : 'none';
  // Without a gradient tape nothing of a block is needed after it: free its intermediates then
  // (ViT-S/8 at 448 px would otherwise hold every block's activations at once).
  const inference = (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth === 0;
  let h = tf.reshape(prepareTokens(p, c, x), [B * N, D]) as tf.Tensor2D;
  let attn: tf.Tensor4D | undefined;
  for (let i = 0; i <= last - (clsOnly ? 1 : 0); i++) {
    // Probabilities are kept only for the block whose attention is returned (never in training).
    const want = i === last && !opts.dropPath ? lastWant : 'none';
    const args: BlockArgs = { i, x: h, B, N, mask: opts.dropPath?.[i], want, chunkAbove: opts.chunkAttentionAbove, probsOnly: attentionOnly && i === last };
    const out = inference ? tf.tidy(() => block(p, c, args) as unknown as tf.TensorContainer) as unknown as BlockOut : block(p, c, args);
    if (out.x) {
      if (inference) h.dispose();
      h = out.x;
    }
    attn = out.attn;
  }
  if (attentionOnly) return { attn, grid };
  if (clsOnly) {
    const args: BlockArgs = { i: last, x: h, B, N, mask: opts.dropPath?.[last] };
    const xCls = inference ? tf.tidy(() => clsBlock(p, c, args)) : clsBlock(p, c, args);
    if (inference) h.dispose();
    return { cls: layerNorm(xCls, param(p, 'backbone.norm.weight'), param(p, 'backbone.norm.bias'), c.lnEps), grid };
  }
  const normed = layerNorm(h, param(p, 'backbone.norm.weight'), param(p, 'backbone.norm.bias'), c.lnEps);
  const tokens = tf.reshape(normed, [B, N, D]) as tf.Tensor3D;
  const cls = tf.reshape(tf.slice(tokens, [0, 0, 0], [B, 1, D]), [B, D]) as tf.Tensor2D;
  return { tokens, cls, attn, grid };
}

/** CLS features (B, D), tidied; the caller owns the result. */
export function vitCls(p: Params, c: ViTConfig, x: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => vitForward(p, c, x, { clsOnly: true }).cls as tf.Tensor2D);
}

/** Softmax attention of block `blockIndex` (default last), (B, nh, N, N); the caller owns it. */
export function vitSelfAttention(p: Params, c: ViTConfig, x: tf.Tensor, blockIndex = c.depth - 1): tf.Tensor4D {
  return tf.tidy(() => vitForward(p, c, x, { attentionOfBlock: blockIndex }).attn as tf.Tensor4D);
}

/** Linearly increasing stochastic-depth rates over the blocks (official `torch.linspace(0, rate, depth)`). */
export function dropPathRates(rate: number, depth: number): number[] {
  return Array.from({ length: depth }, (_, i) => (depth === 1 ? 0 : (rate * i) / (depth - 1)));
}

/**
 * Tokens of the last `n` blocks, each after the final LayerNorm (official `get_intermediate_layers`),
 * oldest first: n tensors of (B, N, D). The caller owns them.
 */
export function vitIntermediateLayers(p: Params, c: ViTConfig, x: tf.Tensor, n = 1): tf.Tensor3D[] {
  if (!(n >= 1 && n <= c.depth)) throw new Error(`n must be in 1..${c.depth}, got ${n}`);
  return tf.tidy(() => {
    const [B, , H, W] = checkImages(x, c);
    const N = 1 + (H / c.patchSize) * (W / c.patchSize);
    const D = c.embedDim;
    let h = tf.reshape(prepareTokens(p, c, x), [B * N, D]) as tf.Tensor2D;
    const out: tf.Tensor3D[] = [];
    for (let i = 0; i < c.depth; i++) {
      h = block(p, c, { i, x: h, B, N }).x!;
      if (i >= c.depth - n) {
        const normed = layerNorm(h, param(p, 'backbone.norm.weight'), param(p, 'backbone.norm.bias'), c.lnEps);
        out.push(tf.reshape(normed, [B, N, D]) as tf.Tensor3D);
      }
    }
    return out;
  });
}
