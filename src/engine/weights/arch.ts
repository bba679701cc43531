/**
 * Architecture from weights: infer the ViT and DINO-head configs from tensor shapes, and check a
 * set of tensors against a config. Names are the official ones without prefix (`blocks.0.attn.qkv.weight`,
 * `mlp.0.weight`). The names and shapes a config implies come from the engine's one table
 * (`../param-shapes`); this file only reads configs back out of shapes.
 */
import type { HeadConfig, ViTConfig } from '../../shared/config';
import { shapeStr, type TensorMap } from '../../shared/host-tensor';
import { backboneShapes, headShapes, shapeMismatch, type ShapeTable } from '../../shared/param-shapes';
import { WeightsError, listText } from './errors';

export interface ArchHints {
  /** Attention heads; shapes do not tell (qkv is [3D, D] for any head count). */
  numHeads?: number;
}

/** LayerNorm epsilon of the official vit_* factories; weight files do not record it. */
const OFFICIAL_LN_EPS = 1e-6;
/** Head dimension of every released DINO ViT (D / heads), used when nothing else says. */
const RELEASED_HEAD_DIM = 64;
/** Widths of the official vit_tiny, vit_small and vit_base factories (12 blocks, MLP ratio 4). */
const RELEASED_WIDTHS = [192, 384, 768];

function shapeOf(m: TensorMap, name: string, what: string): number[] {
  const t = m.get(name);
  if (!t) throw new WeightsError(`cannot infer the ${what}: "${name}" is missing`);
  return t.shape;
}

/**
 * The depth: the block indices must be exactly 0..depth-1, each with its qkv weight. The largest
 * index alone would let one stray name (`blocks.16777215.norm1.weight`) declare 16 million blocks.
 */
function blockCount(backbone: TensorMap): number {
  const indices = new Set<string>();
  for (const name of backbone.keys()) {
    const m = /^blocks\.(\d+)\./.exec(name);
    if (m) indices.add(m[1]);
  }
  if (indices.size === 0) throw new WeightsError('cannot infer the depth: no "blocks.N.*" tensors');
  const depth = indices.size;
  const stray = [...indices].filter((i) => !(String(Number(i)) === i && Number(i) < depth)).sort((a, b) => a.length - b.length || (a < b ? -1 : 1));
  if (stray.length) {
    throw new WeightsError(`the blocks are not numbered 0..${depth - 1}: unexpected block indices ${listText(stray)}`);
  }
  const noQkv = [...indices].filter((i) => !backbone.has(`blocks.${i}.attn.qkv.weight`));
  if (noQkv.length) throw new WeightsError(`blocks without attn.qkv.weight: ${listText(noQkv.map((i) => `blocks.${i}`))}`);
  return depth;
}

/** ViT config from backbone shapes. The number of heads comes from `hints`, else D / 64 for the
 *  official shapes; otherwise it throws, asking for it. */
export function inferViTConfig(backbone: TensorMap, hints: ArchHints = {}): ViTConfig {
  const patch = shapeOf(backbone, 'patch_embed.proj.weight', 'patch size');
  if (patch.length !== 4 || patch[1] !== 3 || patch[2] !== patch[3]) {
    throw new WeightsError(`"patch_embed.proj.weight" has shape ${shapeStr(patch)}, expected [D, 3, p, p]`);
  }
  const [embedDim, , patchSize] = patch;
  const pos = shapeOf(backbone, 'pos_embed', 'image size');
  const grid = Math.round(Math.sqrt(pos[1] - 1));
  if (pos.length !== 3 || grid * grid !== pos[1] - 1 || grid < 1) {
    throw new WeightsError(`"pos_embed" has shape ${shapeStr(pos)}: expected [1, 1 + n*n, D] for a square n x n patch grid`);
  }
  const depth = blockCount(backbone);
  const fc1 = shapeOf(backbone, 'blocks.0.mlp.fc1.weight', 'MLP ratio');

  let numHeads = hints.numHeads;
  if (numHeads === undefined) {
    // Only the official vit_tiny/small/base shapes are known to use 64-wide heads; any other
    // backbone (a dinolab run's, say: 4 heads of width 32) would be guessed wrong, so ask.
    const released = depth === 12 && RELEASED_WIDTHS.includes(embedDim) && fc1[0] === 4 * embedDim;
    if (!released) {
      throw new WeightsError(
        `cannot tell the number of attention heads of this width-${embedDim}, depth-${depth} backbone: ` +
          `only the official ViT-T/S/B shapes are known to use heads of width ${RELEASED_HEAD_DIM}; please give it`,
      );
    }
    numHeads = embedDim / RELEASED_HEAD_DIM;
  }
  if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) {
    throw new WeightsError(`${numHeads} attention heads do not divide the width ${embedDim}`);
  }
  return {
    patchSize,
    imgSize: grid * patchSize,
    embedDim,
    depth,
    numHeads,
    mlpRatio: fc1[0] / embedDim,
    qkvBias: backbone.has('blocks.0.attn.qkv.bias'),
    lnEps: OFFICIAL_LN_EPS,
  };
}

/** Throws one WeightsError listing every missing, unexpected and mis-shaped tensor by name. */
function checkShapes(what: string, tensors: TensorMap, expected: ShapeTable): void {
  const { missing, unexpected, misShaped } = shapeMismatch(tensors, expected);
  const problems: string[] = [];
  if (missing.length) problems.push(`missing: ${listText(missing)}`);
  if (unexpected.length) problems.push(`unexpected: ${listText(unexpected)}`);
  if (misShaped.length) problems.push(listText(misShaped, 3));
  if (problems.length) throw new WeightsError(`${what} does not match the architecture: ${problems.join('; ')}`);
}

export function checkBackboneShapes(backbone: TensorMap, arch: ViTConfig): void {
  checkShapes('backbone', backbone, backboneShapes(arch));
}

/** DINO head config from its tensors (`mlp.*`, `last_layer.weight_g/_v`). */
export function inferHeadConfig(head: TensorMap): HeadConfig {
  if ([...head.keys()].some((k) => /^mlp\.\d+\.running_mean$/.test(k))) {
    throw new WeightsError('the head uses batch norm (use_bn=True), which dinolab does not support');
  }
  const v = shapeOf(head, 'last_layer.weight_v', 'head output size');
  if (v.length !== 2) throw new WeightsError(`"last_layer.weight_v" has shape ${shapeStr(v)}, expected [K, bottleneck]`);
  const [outDim, bottleneckDim] = v;
  if (head.has('mlp.weight')) {
    // nlayers = 1: `mlp` is a single Linear, not a Sequential.
    return { outDim, hiddenDim: bottleneckDim, bottleneckDim, nlayers: 1, normLastLayer: head.has('last_layer.weight_g') };
  }
  const linear = [...head.keys()].map((k) => /^mlp\.(\d+)\.weight$/.exec(k)).filter((m) => m !== null);
  if (linear.length === 0) throw new WeightsError('cannot infer the head: no "mlp.N.weight" tensors');
  const first = head.get(`mlp.${Math.min(...linear.map((m) => Number(m[1])))}.weight`)!;
  return {
    outDim,
    hiddenDim: linear.length > 1 ? first.shape[0] : bottleneckDim,
    bottleneckDim,
    nlayers: linear.length,
    normLastLayer: head.has('last_layer.weight_g'),
  };
}

export function checkHeadShapes(head: TensorMap, headArch: HeadConfig, inDim: number): void {
  checkShapes('head', head, headShapes(inDim, headArch));
}
