/**
 * Renames between the Hugging Face `ViTModel` layout (facebook/dino-vit{s,b}{8,16} on the Hub) and
 * the official DINO names. The only non-rename: HF keeps query, key and value as three [D, D]
 * Linear layers where DINO has one qkv Linear [3D, D] (rows q, then k, then v).
 */
import { numel, shapeStr, type HostTensor, type TensorMap } from '../../shared/host-tensor';
import { WeightsError } from './errors';

/** HF name (after `encoder.layer.N.` or at top level) -> official name. */
const LAYER_RENAMES: [RegExp, string][] = [
  [/^layernorm_before\.(weight|bias)$/, 'norm1.$1'],
  [/^layernorm_after\.(weight|bias)$/, 'norm2.$1'],
  [/^attention\.output\.dense\.(weight|bias)$/, 'attn.proj.$1'],
  [/^intermediate\.dense\.(weight|bias)$/, 'mlp.fc1.$1'],
  [/^output\.dense\.(weight|bias)$/, 'mlp.fc2.$1'],
];
const TOP_RENAMES: Record<string, string> = {
  'embeddings.cls_token': 'cls_token',
  'embeddings.position_embeddings': 'pos_embed',
  'embeddings.patch_embeddings.projection.weight': 'patch_embed.proj.weight',
  'embeddings.patch_embeddings.projection.bias': 'patch_embed.proj.bias',
  'layernorm.weight': 'norm.weight',
  'layernorm.bias': 'norm.bias',
};
const QKV = ['query', 'key', 'value'] as const;

/** True when the keys are a HF ViT (optionally under `vit.`, as in ViTForImageClassification). */
export function isHuggingFaceViT(tensors: TensorMap): boolean {
  return tensors.has('embeddings.cls_token') || tensors.has('vit.embeddings.cls_token');
}

function concatRows(parts: HostTensor[]): HostTensor {
  const data = new Float32Array(parts.reduce((s, p) => s + p.data.length, 0));
  let pos = 0;
  for (const p of parts) {
    data.set(p.data, pos);
    pos += p.data.length;
  }
  return { dtype: 'float32', shape: [parts.reduce((s, p) => s + p.shape[0], 0), ...parts[0].shape.slice(1)], data };
}

/**
 * HF ViT tensors -> official backbone. Keys outside the ViT (`pooler.*`, `classifier.*`, a mask
 * token) are returned in `unexpected`; unknown keys inside `embeddings.`/`encoder.` are kept under
 * their HF name so the shape check reports them.
 */
export function huggingFaceToOfficial(tensors: TensorMap): { backbone: TensorMap; unexpected: string[] } {
  const prefix = tensors.has('vit.embeddings.cls_token') ? 'vit.' : '';
  const backbone: TensorMap = new Map();
  const unexpected: string[] = [];
  const qkv = new Map<string, Partial<Record<(typeof QKV)[number], HostTensor>>>(); // "blocks.N.attn.qkv.weight" -> parts

  for (const [fullName, t] of tensors) {
    if (!fullName.startsWith(prefix)) {
      unexpected.push(fullName);
      continue;
    }
    const name = fullName.slice(prefix.length);
    if (name in TOP_RENAMES) {
      backbone.set(TOP_RENAMES[name], t);
      continue;
    }
    const layer = /^encoder\.layer\.(\d+)\.(.*)$/.exec(name);
    if (!layer) {
      if (/^(embeddings|encoder)\./.test(name) && name !== 'embeddings.mask_token') backbone.set(fullName, t);
      else unexpected.push(fullName);
      continue;
    }
    const block = `blocks.${layer[1]}.`;
    const rest = layer[2];
    const part = /^attention\.attention\.(query|key|value)\.(weight|bias)$/.exec(rest);
    if (part) {
      const key = `${block}attn.qkv.${part[2]}`;
      const entry = qkv.get(key) ?? {};
      entry[part[1] as (typeof QKV)[number]] = t;
      qkv.set(key, entry);
      continue;
    }
    const rename = LAYER_RENAMES.find(([re]) => re.test(rest));
    backbone.set(rename ? block + rest.replace(rename[0], rename[1]) : fullName, t);
  }

  for (const [key, parts] of qkv) {
    const hfName = (p: string) => `${prefix}encoder.layer.${key.split('.')[1]}.attention.attention.${p}.${key.endsWith('weight') ? 'weight' : 'bias'}`;
    const absent = QKV.filter((p) => !parts[p]);
    if (absent.length) throw new WeightsError(`Hugging Face ViT: missing ${absent.map(hfName).join(', ')}`);
    const [q, k, v] = QKV.map((p) => parts[p]!);
    if (shapeStr(q.shape) !== shapeStr(k.shape) || shapeStr(q.shape) !== shapeStr(v.shape)) {
      throw new WeightsError(
        `Hugging Face ViT: ${hfName('query')} ${shapeStr(q.shape)}, key ${shapeStr(k.shape)} and value ${shapeStr(v.shape)} differ in shape`,
      );
    }
    if (q.dtype !== 'float32' || k.dtype !== 'float32' || v.dtype !== 'float32') {
      throw new WeightsError(`Hugging Face ViT: ${hfName('query')} and its key/value must be floating point`);
    }
    backbone.set(key, concatRows([q, k, v]));
  }
  return { backbone, unexpected };
}

/** Official backbone -> HF `ViTModel` names (qkv split into query, key, value). */
export function backboneToHuggingFace(backbone: TensorMap): TensorMap {
  const inverseTop = new Map(Object.entries(TOP_RENAMES).map(([hf, official]) => [official, hf]));
  const out: TensorMap = new Map();
  for (const [name, t] of backbone) {
    const top = inverseTop.get(name);
    if (top) {
      out.set(top, t);
      continue;
    }
    const m = /^blocks\.(\d+)\.(.*)$/.exec(name);
    if (!m) throw new WeightsError(`no Hugging Face name for "${name}"`);
    const layer = `encoder.layer.${m[1]}.`;
    const qkv = /^attn\.qkv\.(weight|bias)$/.exec(m[2]);
    if (qkv) {
      const rows = t.shape[0] / 3;
      const size = numel(t.shape) / 3;
      QKV.forEach((p, i) => {
        out.set(`${layer}attention.attention.${p}.${qkv[1]}`, {
          dtype: t.dtype,
          shape: [rows, ...t.shape.slice(1)],
          data: t.data.slice(i * size, (i + 1) * size),
        });
      });
      continue;
    }
    const hf = [
      ['norm1.', 'layernorm_before.'], ['norm2.', 'layernorm_after.'], ['attn.proj.', 'attention.output.dense.'],
      ['mlp.fc1.', 'intermediate.dense.'], ['mlp.fc2.', 'output.dense.'],
    ].find(([official]) => m[2].startsWith(official));
    if (!hf) throw new WeightsError(`no Hugging Face name for "${name}"`);
    out.set(layer + hf[1] + m[2].slice(hf[0].length), t);
  }
  return out;
}
