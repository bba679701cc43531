/**
 * The forward checks: CLS features, attention of every block, the head's logits, intermediate
 * layers, CLS attention maps and DINO's thresholded masks, on square, rectangular and local-crop
 * inputs, for the backbone as each of the case's weight files gives it.
 */
import * as tf from '@tensorflow/tfjs';
import type { TensorMap } from '../shared/host-tensor';
import { thresholdMasks } from '../shared/attention-masks';
import { queryRow } from '../engine/attention-maps';
import { dinoHead } from '../engine/dino-head';
import { disposeParams, type Params } from '../engine/params';
import { interpolatePosEmbed } from '../engine/pos-embed';
import { prepareTokens, vitForward, vitIntermediateLayers } from '../engine/vit';
import { loadWeights, type LoadedWeights } from '../engine/weights/layouts';
import { readSafetensors } from '../engine/weights/safetensors';
import { compareArrays, exactCheck, type CheckResult } from './compare';
import { get, read, tensorOf, type GoldenCase } from './golden-data';
import type { TolKey } from './tolerances';

/** Uploads backbone (no prefix) and head (no prefix) host tensors as one Params record. */
function uploadParams(backbone: TensorMap, head: TensorMap | null): Params {
  const p: Params = {};
  for (const [n, t] of backbone) p[`backbone.${n}`] = tensorOf(t);
  if (head) for (const [n, t] of head) p[`head.${n}`] = tensorOf(t);
  return p;
}

/** `fromSt`: the case's backbone.safetensors, loaded; the .pth and Hugging Face files are run too. */
export async function forwardChecks(c: GoldenCase, fromSt: LoadedWeights): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const hints = { numHeads: c.vit.numHeads };
  const headMap = readSafetensors(await c.readFile('head.safetensors')).tensors;
  const fwd = readSafetensors(await c.readFile('forward.safetensors')).tensors;
  const sources: [string, TensorMap][] = [['safetensors', fromSt.backbone]];
  for (const file of ['backbone.pth', 'backbone_hf.safetensors']) {
    sources.push([file.replace('backbone', '').replace(/^[._]/, ''), loadWeights(file, await c.readFile(file), hints).backbone]);
  }
  for (const [label, backbone] of sources) {
    const p = uploadParams(backbone, headMap);
    const full = label === 'safetensors';
    out.push(...(await forwardOf(c, p, { fwd, g: `forward[${label}]`, full })));
    disposeParams(p);
  }
  return out;
}

/**
 * One set of forward outputs of the network `p` against the case's `fwd` tensors, labelled `g`;
 * `full` adds the token and position-embedding intermediates (checked once, for the reference file).
 */
async function forwardOf(c: GoldenCase, p: Params, run: { fwd: TensorMap; g: string; full: boolean }): Promise<CheckResult[]> {
  const { vit, head, tol, manifest } = c;
  const { fwd, g, full } = run;
  const out: CheckResult[] = [];
  const check = async (name: string, t: tf.Tensor, kind: TolKey) => {
    out.push(compareArrays(g, name, await read(t), get(fwd, name).data, tol[kind]));
    t.dispose();
  };
  const xs = tensorOf(get(fwd, 'x_square'));
  const xr = tensorOf(get(fwd, 'x_rect'));
  const xl = tensorOf(get(fwd, 'x_local'));
  const sq = tf.tidy(() => {
    const o = vitForward(p, vit, xs, { withAttention: true });
    return { cls: o.cls!, attn: o.attn!, head: dinoHead(p, head, o.cls!) };
  });
  await check('cls_square', sq.cls, 'forward');
  await check('attn_square', sq.attn, 'attn');
  await check('head_square', sq.head, 'forward');
  const rect = tf.tidy(() => {
    const o = vitForward(p, vit, xr, { withAttention: true });
    return { cls: o.cls!, attn: o.attn!, tokens: o.tokens!, grid: o.grid };
  });
  const [rows, cols] = rect.grid;
  const mapsT = queryRow(rect.attn, 0);
  const maps = await read(mapsT);
  mapsT.dispose();
  await check('cls_rect', rect.cls, 'forward');
  await check('attn_rect', rect.attn, 'attn');
  rect.tokens.dispose();
  await check('intermediate_rect', vitIntermediateLayers(p, vit, xr, 1)[0], 'forward');
  out.push(compareArrays(g, 'cls_attn_maps_rect', maps, get(fwd, 'cls_attn_maps_rect').data, tol.attn));
  const masks = thresholdMasks(maps, vit.numHeads, manifest.config.attn_threshold);
  const expMasks = get(fwd, 'th_attn_masks_rect').data;
  out.push(exactCheck(g, 'th_attn_masks_rect', masks.every((v, i) => v === expMasks[i]), `grid ${rows}x${cols}`));
  if (full) {
    await check('tokens_rect', prepareTokens(p, vit, xr), 'forward');
    await check('pos_embed_rect', tf.tidy(() => tf.clone(interpolatePosEmbed(p['backbone.pos_embed'], rows, cols))), 'forward');
    const ls = vit.patchSize;
    const lg = [(xl.shape as number[])[2] / ls, (xl.shape as number[])[3] / ls];
    await check('pos_embed_local', tf.tidy(() => tf.clone(interpolatePosEmbed(p['backbone.pos_embed'], lg[0], lg[1]))), 'forward');
  }
  const loc = tf.tidy(() => {
    const o = vitForward(p, vit, xl, { withAttention: true });
    return { cls: o.cls!, attn: o.attn! };
  });
  await check('cls_local', loc.cls, 'forward');
  await check('attn_local', loc.attn, 'attn');
  xs.dispose();
  xr.dispose();
  xl.dispose();
  return out;
}
