/**
 * The one table of DINO parameter names and shapes: the official `MultiCropWrapper` state dict
 * (`backbone.blocks.0.attn.qkv.weight`, `head.last_layer.weight_v`, ...) in its order, with
 * PyTorch's layouts (Linear weights [out, in], patch conv [D, 3, p, p]). The engine builds its
 * variables from it and the weights loader checks files against it, so the two cannot disagree.
 *
 * Plain TypeScript (no tfjs): the weights readers use it in Node and in a child process.
 */
import type { HeadConfig, ViTConfig } from './config';
import { numel, shapeStr, type TensorMap } from './host-tensor';

/** Names with their shapes, in the official state-dict order. */
export type ShapeTable = [string, number[]][];

/** Backbone parameters (official `VisionTransformer`), no prefix. */
export function backboneShapes(c: ViTConfig): ShapeTable {
  const D = c.embedDim;
  const n = c.imgSize / c.patchSize; // patches per side
  const hidden = Math.round(D * c.mlpRatio);
  const out: ShapeTable = [
    ['cls_token', [1, 1, D]],
    ['pos_embed', [1, 1 + n * n, D]],
    ['patch_embed.proj.weight', [D, 3, c.patchSize, c.patchSize]],
    ['patch_embed.proj.bias', [D]],
  ];
  for (let i = 0; i < c.depth; i++) {
    const b = `blocks.${i}.`;
    out.push([`${b}norm1.weight`, [D]], [`${b}norm1.bias`, [D]], [`${b}attn.qkv.weight`, [3 * D, D]]);
    if (c.qkvBias) out.push([`${b}attn.qkv.bias`, [3 * D]]);
    out.push(
      [`${b}attn.proj.weight`, [D, D]],
      [`${b}attn.proj.bias`, [D]],
      [`${b}norm2.weight`, [D]],
      [`${b}norm2.bias`, [D]],
      [`${b}mlp.fc1.weight`, [hidden, D]],
      [`${b}mlp.fc1.bias`, [hidden]],
      [`${b}mlp.fc2.weight`, [D, hidden]],
      [`${b}mlp.fc2.bias`, [D]],
    );
  }
  out.push(['norm.weight', [D]], ['norm.bias', [D]]);
  return out;
}

/**
 * Module names of the head's Linear layers, in order. The official `DINOHead` makes `mlp` a single
 * `nn.Linear` when nlayers == 1 (keys `mlp.weight`), and otherwise a Sequential of Linear, GELU,
 * Linear, ..., in which Linear l sits at index 2l (keys `mlp.0.weight`, `mlp.2.weight`, ...).
 */
export function headLinearNames(h: HeadConfig): string[] {
  return h.nlayers === 1 ? ['mlp'] : Array.from({ length: h.nlayers }, (_, l) => `mlp.${2 * l}`);
}

/** Head parameters (official `DINOHead`, no batch norm) on a backbone of width `inDim`, no prefix. */
export function headShapes(inDim: number, h: HeadConfig): ShapeTable {
  const names = headLinearNames(h);
  // Widths between the Linear layers: D -> hidden -> ... -> hidden -> bottleneck.
  const widths = [inDim, ...Array<number>(names.length - 1).fill(h.hiddenDim), h.bottleneckDim];
  const out: ShapeTable = names.flatMap((name, l): ShapeTable => [
    [`${name}.weight`, [widths[l + 1], widths[l]]],
    [`${name}.bias`, [widths[l + 1]]],
  ]);
  out.push(['last_layer.weight_g', [h.outDim, 1]], ['last_layer.weight_v', [h.outDim, h.bottleneckDim]]);
  return out;
}

/** Every parameter of the MultiCropWrapper (`backbone.*`, then `head.*`). */
export function dinoShapes(vit: ViTConfig, head: HeadConfig): ShapeTable {
  return [
    ...backboneShapes(vit).map(([n, s]): [string, number[]] => [`backbone.${n}`, s]),
    ...headShapes(vit.embedDim, head).map(([n, s]): [string, number[]] => [`head.${n}`, s]),
  ];
}

interface ShapeMismatch {
  missing: string[];
  unexpected: string[];
  /** "name has shape [..], expected [..]", or a tensor whose values do not fill its shape. */
  misShaped: string[];
}

/**
 * How `tensors` differs from `expected`, by name. A tensor that is not expected is only named: its
 * data is never touched (a weights file may decode it lazily).
 */
export function shapeMismatch(tensors: TensorMap, expected: ShapeTable): ShapeMismatch {
  const want = new Map(expected);
  const misShaped: string[] = [];
  for (const [name, shape] of expected) {
    const t = tensors.get(name);
    if (!t) continue;
    if (shapeStr(t.shape) !== shapeStr(shape)) misShaped.push(`${name} has shape ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
    else if (t.data.length !== numel(t.shape)) misShaped.push(`${name} has ${t.data.length} values for shape ${shapeStr(t.shape)}`);
  }
  return {
    missing: expected.map(([n]) => n).filter((n) => !tensors.has(n)),
    unexpected: [...tensors.keys()].filter((n) => !want.has(n)),
    misShaped,
  };
}
