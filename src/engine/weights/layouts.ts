/**
 * `loadWeights`: recognise a weights file by its content and bring it to the official names.
 *
 * Layouts understood (the file name is only used in messages):
 *  - official-backbone:   a ViT state dict (`cls_token`, `blocks.N.*`, `norm.*`), as released by
 *                         facebookresearch/dino; a classifier `head.*` is ignored.
 *  - official-checkpoint: a main_dino.py `checkpoint.pth` (`student` with `module.backbone.*`,
 *                         `teacher` with `backbone.*`, `epoch`, `dino_loss.center`), or one network
 *                         of it (`backbone.*` / `head.*`, the MultiCropWrapper state dict).
 *  - huggingface:         a HF ViTModel (`embeddings.*`, `encoder.layer.N.*`, optional `vit.`).
 *  - dinolab:             a safetensors file written by dinolab (metadata `dinolab.config`).
 * Both safetensors and torch.save (.pth) containers are accepted for every layout.
 */
import type { HeadConfig, ViTConfig } from '../../shared/config';
import { shapeStr, type HostTensor, type TensorMap } from '../../shared/host-tensor';
import { backboneShapes, headShapes, type ShapeTable } from '../../shared/param-shapes';
import { checkBackboneShapes, checkHeadShapes, inferHeadConfig, inferViTConfig, type ArchHints } from './arch';
import { WeightsError, capList, clip, listText, preview } from './errors';
import { huggingFaceToOfficial, isHuggingFaceViT } from './huggingface';
import { isHostTensor, looksLikePth, pthStateDicts, readPth } from './pth';
import { looksLikeSafetensors, readSafetensors } from './safetensors';

export type WeightsLayout = 'official-backbone' | 'official-checkpoint' | 'huggingface' | 'dinolab';
export type NetworkName = 'teacher' | 'student';

/** One network of the DINO pair, official names without prefix. */
export interface NetworkWeights {
  backbone: TensorMap;
  /** DINOHead tensors (`mlp.0.weight`, `last_layer.weight_g`, ...), or null when the file has none. */
  head: TensorMap | null;
}

export interface LoadOptions extends ArchHints {
  /** Which network of a training checkpoint to return as `backbone`/`head` (default teacher, the
   *  one DINO evaluates). */
  network?: NetworkName;
  /** Accept tensors holding NaN or ±Inf (listed in `nonFinite`); by default they refuse the file. */
  allowNonFinite?: boolean;
}

export interface LoadedWeights {
  layout: WeightsLayout;
  /** Official names, no prefix, in the official order; checked against `arch`. */
  backbone: TensorMap;
  head: TensorMap | null;
  /** DINO loss center [1, K] of a training checkpoint. */
  center: HostTensor | null;
  epoch: number | null;
  arch: ViTConfig;
  headArch: HeadConfig | null;
  /** Entries of the file that were skipped (classifier heads, optimizer state, args, ...). */
  unexpected: string[];
  /** Parts a file of this layout usually has but this one lacks (e.g. `dino_loss.center`). */
  missing: string[];
  /** Tensors holding NaN or ±Inf, as "name (n of m)", capped like `unexpected`; empty unless
   *  `allowNonFinite` was given (otherwise such a file is refused). */
  nonFinite: string[];
  /** Which checkpoint network `backbone`/`head` come from; null for single-network files. */
  network: NetworkName | null;
  /** Both networks of a training checkpoint, checked like `backbone`/`head`; else null. */
  networks: Record<NetworkName, NetworkWeights> | null;
}

/** What the `dinolab.config` metadata holds (a RunConfig, or its model/head part). */
interface DinolabMeta {
  model?: Partial<ViTConfig>;
  head?: HeadConfig;
}

/** Raw material before architecture inference. */
interface Parsed {
  layout: WeightsLayout;
  networks: Partial<Record<NetworkName, NetworkWeights>>;
  center: HostTensor | null;
  epoch: number | null;
  meta: DinolabMeta | null;
  unexpected: string[];
  missing: string[];
}

function fail(msg: string): never {
  throw new WeightsError(msg);
}

/** Keys starting with `prefix`, with the prefix removed. */
function withPrefix(tensors: TensorMap, prefix: string): TensorMap {
  const out: TensorMap = new Map();
  for (const [k, t] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  return out;
}

/** DDP wraps the student in `module.`; drop it when every key has it. */
function stripModule(tensors: TensorMap): TensorMap {
  const keys = [...tensors.keys()];
  return keys.length && keys.every((k) => k.startsWith('module.')) ? withPrefix(tensors, 'module.') : tensors;
}

/** A MultiCropWrapper state dict: `backbone.*` and `head.*`; other keys are returned as unexpected. */
function splitNetwork(tensors: TensorMap, ignore: string[] = []): { net: NetworkWeights; unexpected: string[] } {
  const head = withPrefix(tensors, 'head.');
  const unexpected = [...tensors.keys()].filter((k) => !k.startsWith('backbone.') && !k.startsWith('head.') && !ignore.includes(k));
  return { net: { backbone: withPrefix(tensors, 'backbone.'), head: head.size ? head : null }, unexpected };
}

function parseMeta(metadata: Record<string, string>): DinolabMeta | null {
  const text = metadata['dinolab.config'];
  if (text === undefined) return null;
  try {
    const meta = JSON.parse(text) as unknown;
    if (typeof meta === 'object' && meta !== null) return meta as DinolabMeta;
  } catch {
    // reported below
  }
  return fail('the "dinolab.config" metadata is not a JSON object');
}

/** A flat name -> tensor dict (safetensors file, or the root state dict of a .pth). */
function parseFlat(all: TensorMap, metadata: Record<string, string>): Parsed {
  const meta = parseMeta(metadata);
  const tensors = stripModule(all);
  const base = { center: null, epoch: null, meta, missing: [] };
  if (isHuggingFaceViT(tensors)) {
    const { backbone, unexpected } = huggingFaceToOfficial(tensors);
    return { ...base, layout: 'huggingface', networks: { teacher: { backbone, head: null } }, unexpected };
  }
  const layout = meta ? 'dinolab' : null;
  if ([...tensors.keys()].some((k) => k.startsWith('backbone.'))) {
    const { net, unexpected } = splitNetwork(tensors, ['center']);
    const epoch = metadata['dinolab.epoch'] !== undefined ? Number(metadata['dinolab.epoch']) : null;
    const center = tensors.get('center') ?? null;
    return { ...base, layout: layout ?? 'official-checkpoint', networks: { teacher: net }, center, epoch, unexpected };
  }
  // Plain backbone; a `head.*` here is a classifier (VisionTransformer.head), not a DINO head.
  const backbone: TensorMap = new Map();
  const unexpected: string[] = [];
  for (const [k, t] of tensors) (k.startsWith('head.') ? unexpected.push(k) : backbone.set(k, t));
  return { ...base, layout: layout ?? 'official-backbone', networks: { teacher: { backbone, head: null } }, unexpected };
}

/** The object tree of a .pth: a training checkpoint, or somewhere a single state dict. */
function parsePth(tree: unknown): Parsed {
  const root = tree instanceof Map ? tree : null;
  const isDict = (v: unknown): v is Map<unknown, unknown> => v instanceof Map;
  if (root && (isDict(root.get('teacher')) || isDict(root.get('student')))) {
    const dicts = pthStateDicts(tree);
    const networks: Parsed['networks'] = {};
    const unexpected: string[] = [];
    const missing: string[] = [];
    for (const name of ['teacher', 'student'] as const) {
      if (!isDict(root.get(name))) continue;
      const { net, unexpected: extra } = splitNetwork(stripModule(dicts.get(name) ?? new Map()));
      networks[name] = net;
      for (const k of extra) unexpected.push(`${name}.${k}`);
      if (!net.head) missing.push(`${name}.head`);
    }
    const loss = root.get('dino_loss');
    const center = isDict(loss) && isHostTensor(loss.get('center')) ? (loss.get('center') as HostTensor) : null;
    if (!center) missing.push('dino_loss.center');
    const epoch = root.get('epoch');
    const config = root.get('dinolab.config');
    const meta = typeof config === 'string' ? parseMeta({ 'dinolab.config': config }) : null;
    for (const k of root.keys()) {
      if (!['teacher', 'student', 'epoch', 'dino_loss', 'dinolab.config'].includes(k as string)) unexpected.push(typeof k === 'string' ? k : preview(k));
    }
    return {
      layout: 'official-checkpoint', networks, center, meta, unexpected, missing,
      epoch: typeof epoch === 'number' ? epoch : null,
    };
  }
  // Anything else ({'model': sd, 'optimizer': ...}, {'state_dict': sd}, ...): the dict with a ViT in it.
  const dicts = pthStateDicts(tree);
  const hasViT = (m: TensorMap) => [...m.keys()].some((k) => /(^|\.)(patch_embed\.proj\.weight|embeddings\.cls_token)$/.test(k));
  const withViT = [...dicts.keys()].filter((p) => hasViT(dicts.get(p)!));
  const candidates = withViT.length ? withViT : [...dicts.keys()];
  const path = candidates.includes('') ? '' : candidates.length === 1 ? candidates[0] : null;
  if (path === null) {
    fail(dicts.size === 0 ? 'the file holds no tensors' : `the file holds several state dicts (${listText(candidates)}); cannot tell which is the model`);
  }
  const parsed = parseFlat(dicts.get(path)!, {});
  if (path !== '' && root) {
    for (const k of root.keys()) if (k !== path.split('.')[0]) parsed.unexpected.push(typeof k === 'string' ? k : preview(k));
  }
  return parsed;
}

/** Last-layer weight norm saved through torch.nn.utils.parametrize (torch >= 2.1) -> weight_g/_v. */
function normaliseHeadNames(head: TensorMap): TensorMap {
  const out: TensorMap = new Map();
  for (const [k, t] of head) {
    out.set(k.replace('last_layer.parametrizations.weight.original0', 'last_layer.weight_g')
      .replace('last_layer.parametrizations.weight.original1', 'last_layer.weight_v'), t);
  }
  return out;
}

/** `tensors` (already checked against `table`) in the table's order. */
function ordered(tensors: TensorMap, table: ShapeTable): TensorMap {
  const out: TensorMap = new Map();
  for (const [n] of table) out.set(n, tensors.get(n)!);
  return out;
}

function resolveArch(parsed: Parsed, net: NetworkWeights, options: LoadOptions): ViTConfig {
  if (!net.backbone.has('patch_embed.proj.weight') && !net.backbone.has('cls_token')) {
    const keys = [...net.backbone.keys()];
    const what = net.backbone.has('last_layer.weight_v') ? 'a DINO head without a backbone' : `keys ${keys.slice(0, 4).join(', ') || 'none'}`;
    fail(`no ViT backbone found (expected cls_token, pos_embed, patch_embed.*, blocks.N.*; the file has ${what})`);
  }
  const m = parsed.meta?.model;
  const arch = inferViTConfig(net.backbone, { numHeads: m?.numHeads ?? options.numHeads });
  for (const k of ['patchSize', 'embedDim', 'depth', 'imgSize'] as const) {
    if (m?.[k] !== undefined && m[k] !== arch[k]) fail(`dinolab.config says ${k} = ${m[k]} but the tensors have ${arch[k]}`);
  }
  if (typeof m?.lnEps === 'number') arch.lnEps = m.lnEps;
  return arch;
}

/** Checks one network against `arch` and returns it in the official order. */
function checkNetwork(net: NetworkWeights, arch: ViTConfig, headArch: HeadConfig | null): NetworkWeights {
  checkBackboneShapes(net.backbone, arch);
  const backbone = ordered(net.backbone, backboneShapes(arch));
  if (!net.head || !headArch) return { backbone, head: null };
  const head = normaliseHeadNames(net.head);
  checkHeadShapes(head, headArch, arch.embedDim);
  return { backbone, head: ordered(head, headShapes(arch.embedDim, headArch)) };
}

/**
 * The head's architecture, or null when the head cannot be used (batch norm, odd shapes): the
 * backbone is still worth loading then, so the reason goes to `unexpected` instead of failing.
 */
function usableHeadArch(parsed: Parsed, net: NetworkWeights, arch: ViTConfig): HeadConfig | null {
  if (!net.head) return null;
  try {
    const head = normaliseHeadNames(net.head);
    const headArch = inferHeadConfig(head);
    if (parsed.meta?.head) headArch.normLastLayer = parsed.meta.head.normLastLayer;
    checkHeadShapes(head, headArch, arch.embedDim);
    return headArch;
  } catch (e) {
    if (!(e instanceof WeightsError)) throw e;
    parsed.unexpected.push(`head.* (not usable: ${e.message})`);
    return null;
  }
}

/** "name (n of m)" for each tensor holding NaN or ±Inf. Reads every value once. */
function nonFiniteTensors(named: [string, HostTensor][]): string[] {
  const found: string[] = [];
  for (const [name, t] of named) {
    let bad = 0;
    for (const v of t.data) if (!Number.isFinite(v)) bad++;
    if (bad) found.push(`${name} (${bad} of ${t.data.length})`);
  }
  return found;
}

function describeStart(bytes: Uint8Array): string {
  return [...bytes.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/**
 * Reads a weights file (safetensors or torch.save zip), recognises its layout from the content and
 * returns official-name tensors with the inferred architecture. Throws a WeightsError naming the
 * file and the problem (unknown format, refused pickle, missing or mis-shaped tensors).
 */
export function loadWeights(fileName: string, bytes: Uint8Array, options: LoadOptions = {}): LoadedWeights {
  try {
    let parsed: Parsed;
    if (looksLikeSafetensors(bytes)) {
      const { tensors, metadata } = readSafetensors(bytes);
      parsed = parseFlat(tensors, metadata);
    } else if (looksLikePth(bytes)) {
      parsed = parsePth(readPth(bytes));
    } else {
      return fail(`not a safetensors or PyTorch file (it starts with bytes ${describeStart(bytes)})`);
    }

    const available = Object.keys(parsed.networks) as NetworkName[];
    const network = options.network ?? (parsed.networks.teacher ? 'teacher' : available[0]);
    const chosen = parsed.networks[network];
    if (!chosen) fail(`the file has no ${network} network (it has: ${available.join(', ') || 'none'})`);

    const arch = resolveArch(parsed, chosen, options);
    const headArch = usableHeadArch(parsed, chosen, arch);
    const networks: Partial<Record<NetworkName, NetworkWeights>> = {};
    for (const name of available) networks[name] = checkNetwork(parsed.networks[name]!, arch, headArch);

    const center = parsed.center;
    if (center && headArch && shapeStr(center.shape) !== shapeStr([1, headArch.outDim])) {
      fail(`center has shape ${shapeStr(center.shape)}, expected ${shapeStr([1, headArch.outDim])}`);
    }
    const isCheckpoint = parsed.layout === 'official-checkpoint' && available.length === 2;
    const named: [string, HostTensor][] = [];
    for (const name of available) {
      const prefix = available.length > 1 ? `${name}.` : '';
      for (const [k, t] of networks[name]!.backbone) named.push([`${prefix}backbone.${k}`, t]);
      for (const [k, t] of networks[name]!.head ?? []) named.push([`${prefix}head.${k}`, t]);
    }
    if (center) named.push(['center', center]);
    const nonFinite = nonFiniteTensors(named);
    if (nonFinite.length && !options.allowNonFinite) {
      fail(`${nonFinite.length} tensors hold NaN or infinite values: ${listText(nonFinite, 3)}`);
    }
    return {
      layout: parsed.layout,
      backbone: networks[network]!.backbone,
      head: networks[network]!.head,
      center,
      epoch: parsed.epoch !== null && Number.isFinite(parsed.epoch) ? parsed.epoch : null,
      arch,
      headArch,
      unexpected: capList(parsed.unexpected),
      missing: capList(parsed.missing),
      nonFinite: capList(nonFinite),
      network: isCheckpoint ? network : null,
      networks: isCheckpoint ? (networks as Record<NetworkName, NetworkWeights>) : null,
    };
  } catch (e) {
    if (e instanceof WeightsError) throw new WeightsError(`${clip(fileName)}: ${e.message}`);
    // Every part above refuses what it checks with a WeightsError; anything else (a RangeError
    // from a pathological value) is still a refusal of this file, reported the same way.
    throw new WeightsError(`${clip(fileName)}: unreadable weights file (${e instanceof Error ? `${e.name}: ${e.message}` : preview(e)})`);
  }
}
