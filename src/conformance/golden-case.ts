/**
 * Checks one golden case (reference outputs of the official PyTorch DINO code, see
 * shared/golden/README.md) against the engine. Every size and hyper-parameter comes from the case's
 * manifest and tensor shapes. Runs wherever the engine runs: Node (cpu, wasm) and the browser (webgpu).
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, ViTConfig } from '../shared/config';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import { thresholdMasks } from '../shared/attention-masks';
import { cosineScheduler, peakLr, teacherTempSchedule } from '../shared/schedule';
import { queryRow } from '../engine/attention-maps';
import { dinoHead } from '../engine/dino-head';
import { createDino, dinoStep, disposeDino } from '../engine/dino-step';
import { knnClassify } from '../engine/knn';
import { dinoShapes, type Params } from '../engine/params';
import { interpolatePosEmbed } from '../engine/pos-embed';
import { prepareTokens, vitForward, vitIntermediateLayers } from '../engine/vit';
import { readSafetensors } from '../engine/weights/safetensors';
import { loadWeights } from '../engine/weights/layouts';
import { compareArrays, exactCheck, type CheckResult, type Tolerance } from './compare';

/** Reads a file of the case by name (manifest.json, forward.safetensors, ...). */
export type CaseReader = (name: string) => Promise<Uint8Array>;

/** 'train-micro': the training steps again with the student in micro-batches of half the batch
 *  (gradient accumulation, which the worker uses when a batch does not fit its backend's memory). */
export type CheckGroup = 'weights' | 'forward' | 'train' | 'train-micro' | 'knn' | 'schedules';
export const ALL_GROUPS: CheckGroup[] = ['weights', 'forward', 'train', 'train-micro', 'knn', 'schedules'];

export interface RunOptions {
  groups?: CheckGroup[];
  /** 'reference' = the README's float32 tolerances; 'gpu' = its suggested start for WebGL/WebGPU. */
  tolerances?: 'reference' | 'gpu';
}

/**
 * Tolerance of each kind of output, one row per kind: `reference` is the README's float32 rule
 * (cpu, wasm), `gpu` its suggested start for WebGL/WebGPU, whose reductions run in another order.
 */
const TOLERANCES = {
  forward: { reference: { atol: 1e-4, rtol: 1e-4 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  attn: { reference: { atol: 1e-5, rtol: 1e-4 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  loss: { reference: { atol: 2e-5, rtol: 1e-5 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  outputs: { reference: { atol: 2e-5, rtol: 1e-4 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  center: { reference: { atol: 1e-6, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  grad: { reference: { atol: 1e-5, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  gradNorms: { reference: { atol: 1e-5, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  final: { reference: { atol: 2e-5, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  knnProbs: { reference: { atol: 0, rtol: 1e-4 }, gpu: { atol: 0, rtol: 1e-3 } },
} satisfies Record<string, Record<'reference' | 'gpu', Tolerance>>;
type TolKey = keyof typeof TOLERANCES;

/** The column of TOLERANCES for one run. */
function tolerancesFor(which: 'reference' | 'gpu'): Record<TolKey, Tolerance> {
  return Object.fromEntries(Object.entries(TOLERANCES).map(([kind, t]) => [kind, t[which]])) as Record<TolKey, Tolerance>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function get(map: TensorMap, name: string): HostTensor {
  const t = map.get(name);
  if (!t) throw new Error(`golden tensor ${name} is missing`);
  return t;
}

function tensorOf(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape, h.dtype);
}

async function read(t: tf.Tensor): Promise<Float32Array> {
  return new Float32Array((await t.data()) as Float32Array);
}

export function vitConfigOf(m: Manifest): ViTConfig {
  const c = m.config;
  return {
    patchSize: c.patch_size,
    imgSize: c.global_size,
    embedDim: c.embed_dim,
    depth: c.depth,
    numHeads: c.num_heads,
    mlpRatio: c.mlp_ratio,
    qkvBias: c.qkv_bias,
    lnEps: c.ln_eps,
  };
}

export function headConfigOf(m: Manifest): HeadConfig {
  const c = m.config;
  if (c.use_bn) throw new Error('golden case uses batch norm in the head, which dinolab does not implement');
  return {
    outDim: c.out_dim,
    hiddenDim: c.hidden_dim,
    bottleneckDim: c.bottleneck_dim,
    nlayers: c.nlayers,
    normLastLayer: true,
  };
}

/** Uploads backbone (no prefix) and head (no prefix) host tensors as one Params record. */
function uploadParams(backbone: TensorMap, head: TensorMap | null): Params {
  const p: Params = {};
  for (const [n, t] of backbone) p[`backbone.${n}`] = tensorOf(t);
  if (head) for (const [n, t] of head) p[`head.${n}`] = tensorOf(t);
  return p;
}

function disposeAll(p: Params): void {
  for (const t of Object.values(p)) t.dispose();
}

function sameTensors(a: TensorMap, b: TensorMap, prefixB = ''): string | null {
  for (const [n, t] of a) {
    const u = b.get(prefixB + n);
    if (!u) return `missing ${prefixB + n}`;
    if (u.shape.join() !== t.shape.join()) return `${n}: shape ${u.shape} != ${t.shape}`;
    for (let i = 0; i < t.data.length; i++) if (t.data[i] !== u.data[i]) return `${n}[${i}] differs`;
  }
  return null;
}

export async function runGoldenCase(readFile: CaseReader, opts: RunOptions = {}): Promise<CheckResult[]> {
  const groups = opts.groups ?? ALL_GROUPS;
  const tol = tolerancesFor(opts.tolerances ?? 'reference');
  const manifest: Manifest = JSON.parse(new TextDecoder().decode(await readFile('manifest.json')));
  const vit = vitConfigOf(manifest);
  const head = headConfigOf(manifest);
  const hints = { numHeads: vit.numHeads };
  const results: CheckResult[] = [];

  const needsWeights = groups.includes('weights') || groups.includes('forward');
  const fromSt = needsWeights ? loadWeights('backbone.safetensors', await readFile('backbone.safetensors'), hints) : null;

  if (fromSt && groups.includes('weights')) {
    const g = 'weights';
    const arch = fromSt.arch;
    const archOk = (['patchSize', 'imgSize', 'embedDim', 'depth', 'mlpRatio', 'qkvBias'] as const).every((k) => arch[k] === vit[k]);
    results.push(exactCheck(g, 'inferred architecture', archOk, `p${arch.patchSize} D${arch.embedDim} depth${arch.depth} img${arch.imgSize}`));
    for (const file of ['backbone.pth', 'backbone_hf.safetensors']) {
      const w = loadWeights(file, await readFile(file), hints);
      const diff = sameTensors(fromSt.backbone, w.backbone);
      results.push(exactCheck(g, `${file} == backbone.safetensors`, diff === null && w.backbone.size === fromSt.backbone.size, diff ?? `${w.layout}`));
    }
    const train = readSafetensors(await readFile('train.safetensors')).tensors;
    for (const network of ['teacher', 'student'] as const) {
      const ck = loadWeights('checkpoint.pth', await readFile('checkpoint.pth'), { ...hints, network });
      const b = sameTensors(ck.backbone, train, `final_${network}.backbone.`);
      const h = ck.head ? sameTensors(ck.head, train, `final_${network}.head.`) : 'no head';
      results.push(exactCheck(g, `checkpoint.pth ${network} == final_${network}`, b === null && h === null, b ?? h ?? undefined));
    }
    const ck = loadWeights('checkpoint.pth', await readFile('checkpoint.pth'), hints);
    const center = get(train, 'step3_center');
    results.push(
      exactCheck(g, 'checkpoint.pth center == step3_center', !!ck.center && ck.center.data.every((v, i) => v === center.data[i])),
    );
  }

  if (fromSt && groups.includes('forward')) {
    const headMap = readSafetensors(await readFile('head.safetensors')).tensors;
    const fwd = readSafetensors(await readFile('forward.safetensors')).tensors;
    const sources: [string, TensorMap][] = [['safetensors', fromSt.backbone]];
    for (const file of ['backbone.pth', 'backbone_hf.safetensors']) {
      sources.push([file.replace('backbone', '').replace(/^[._]/, ''), loadWeights(file, await readFile(file), hints).backbone]);
    }
    for (const [label, backbone] of sources) {
      const p = uploadParams(backbone, headMap);
      const full = label === 'safetensors';
      results.push(...(await forwardChecks(p, vit, head, fwd, `forward[${label}]`, tol, manifest, full)));
      disposeAll(p);
    }
  }

  if (groups.includes('train')) results.push(...(await trainChecks(readFile, manifest, vit, head, tol)));
  if (groups.includes('train-micro')) {
    // A batch of B runs as micro-batches of ceil(B / 2) images (uneven when B is odd); B = 1 has none.
    const B = manifest.config.batch_size as number;
    if (B > 1) results.push(...(await trainChecks(readFile, manifest, vit, head, tol, Math.ceil(B / 2))));
  }
  if (groups.includes('knn')) results.push(...(await knnChecks(readFile, manifest, tol)));
  if (groups.includes('schedules')) results.push(...(await scheduleChecks(readFile)));
  return results;
}

async function forwardChecks(
  p: Params,
  vit: ViTConfig,
  head: HeadConfig,
  fwd: TensorMap,
  g: string,
  tol: Record<TolKey, Tolerance>,
  manifest: Manifest,
  full: boolean,
): Promise<CheckResult[]> {
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

async function trainChecks(
  readFile: CaseReader,
  manifest: Manifest,
  vit: ViTConfig,
  head: HeadConfig,
  tol: Record<TolKey, Tolerance>,
  microBatch?: number,
): Promise<CheckResult[]> {
  const g = microBatch ? `train[micro-batches of ${microBatch}]` : 'train';
  const c = manifest.config;
  const train = readSafetensors(await readFile('train.safetensors')).tensors;
  const init: TensorMap = new Map();
  for (const [name] of dinoShapes(vit, head)) init.set(name, get(train, `initial.${name}`));
  const model = createDino(vit, head, init);
  const out: CheckResult[] = [];
  const tempSchedule = teacherTempSchedule(c.warmup_teacher_temp, c.teacher_temp, c.warmup_teacher_temp_epochs, c.nepochs);
  const D = vit.embedDim;
  const isKeyBias = (name: string) => /qkv\.bias$/.test(name);
  for (let s = 1; s <= c.n_steps; s++) {
    const it = s - 1;
    const gl = get(train, `step${s}_global`);
    const lo = get(train, `step${s}_local`);
    const [two, B, C, S] = gl.shape;
    const globals = tf.tensor(gl.data, [two * B, C, S, gl.shape[4]]) as tf.Tensor4D;
    const locals = c.n_local > 0 ? (tf.tensor(lo.data, [lo.shape[0] * B, C, lo.shape[3], lo.shape[4]]) as tf.Tensor4D) : null;
    const r = dinoStep(
      model,
      globals,
      locals,
      {
        lr: c.lr[it],
        weightDecay: c.weight_decay[it],
        momentum: c.momentum[it],
        teacherTemp: tempSchedule[c.epoch[it]],
        studentTemp: c.student_temp,
        epoch: c.epoch[it],
        freezeLastLayer: c.freeze_last_layer,
        clipGrad: c.clip_grad,
        centerMomentum: c.center_momentum,
        centering: true,
        dropPathRate: 0,
      },
      { trace: true, microBatch },
    );
    globals.dispose();
    locals?.dispose();
    const tr = r.trace!;
    const cmp = async (name: string, t: tf.Tensor, kind: TolKey) =>
      out.push(compareArrays(g, name, await read(t), get(train, name).data, tol[kind]));
    await cmp(`step${s}_teacher_output`, tr.teacherOutput, 'outputs');
    await cmp(`step${s}_student_output`, tr.studentOutput, 'outputs');
    await cmp(`step${s}_teacher_probs`, tr.teacherProbs, 'outputs');
    await cmp(`step${s}_loss`, r.loss, 'loss');
    await cmp(`step${s}_teacher_entropy`, r.teacherEntropy, 'loss');
    const kl = tf.sub(r.loss, r.teacherEntropy);
    await cmp(`step${s}_kl`, kl, 'loss');
    kl.dispose();
    await cmp(`step${s}_center`, model.center, 'center');
    if (train.has(`step${s}_grad_norms`)) await cmp(`step${s}_grad_norms`, tr.gradNorms, 'gradNorms');
    const nClipped = (await r.nClipped.data())[0];
    const expClipped = manifest.results.train_steps[it].n_params_clipped;
    out.push(exactCheck(g, `step${s}_n_params_clipped`, nClipped === expClipped, `${nClipped} vs ${expClipped}`));
    if (s === 1) {
      const expectedNames = [...train.keys()].filter((k) => k.startsWith('step1_grad.')).map((k) => k.slice('step1_grad.'.length));
      const gotNames = Object.keys(tr.grads);
      out.push(
        exactCheck(g, 'step1 parameters with a gradient', expectedNames.sort().join() === gotNames.sort().join(), `${gotNames.length} of ${expectedNames.length}`),
      );
      let worst: CheckResult | null = null;
      let allPass = true;
      for (const name of expectedNames) {
        const t = tr.grads[name];
        if (!t) continue;
        const res = compareArrays(g, `step1_grad.${name}`, await read(t), get(train, `step1_grad.${name}`).data, tol.grad);
        allPass &&= res.pass;
        if (!worst || res.maxAbs > worst.maxAbs || !res.pass) worst = res;
        if (!res.pass) out.push(res);
      }
      out.push({ ...(worst as CheckResult), name: `step1_grad.* (${expectedNames.length} tensors, worst shown)`, pass: allPass });
    }
    for (const t of [r.loss, r.teacherEntropy, r.centerNorm, r.nClipped, tr.teacherOutput, tr.studentOutput, tr.teacherProbs, tr.gradNorms]) t.dispose();
    for (const t of Object.values(tr.grads)) t.dispose();
  }
  const lrSum = (c.lr as number[]).reduce((a, b) => a + b, 0);
  for (const network of ['student', 'teacher'] as const) {
    const params = network === 'student' ? model.student : model.teacher;
    let allPass = true;
    let worst: CheckResult | null = null;
    const loose: CheckResult[] = [];
    for (const [name] of dinoShapes(vit, head)) {
      const actual = await read(params[name]);
      const expected = get(train, `final_${network}.${name}`).data;
      // The key slice of qkv.bias has no true gradient; AdamW amplifies float noise there (README).
      const keySlice = isKeyBias(name) ? (i: number) => i >= D && i < 2 * D : undefined;
      const res = compareArrays(g, `final_${network}.${name}`, actual, expected, tol.final, keySlice);
      allPass &&= res.pass;
      if (!worst || res.maxAbs > worst.maxAbs || !res.pass) worst = res;
      if (!res.pass) out.push(res);
      if (keySlice) {
        loose.push(
          compareArrays(g, `final_${network}.${name}[D:2D]`, actual.subarray(D, 2 * D), expected.subarray(D, 2 * D), { atol: lrSum, rtol: 0 }),
        );
      }
    }
    out.push({ ...(worst as CheckResult), name: `final_${network}.* (worst shown)`, pass: allPass });
    const keyPass = loose.every((l) => l.pass);
    const keyWorst = loose.reduce((a, b) => (b.maxAbs > a.maxAbs ? b : a), loose[0]);
    if (keyWorst) out.push({ ...keyWorst, name: `final_${network} key-bias slices (atol = sum of lr)`, pass: keyPass });
  }
  disposeDino(model);
  return out;
}

async function knnChecks(readFile: CaseReader, manifest: Manifest, tol: Record<TolKey, Tolerance>): Promise<CheckResult[]> {
  const g = 'knn';
  const k = readSafetensors(await readFile('knn.safetensors')).tensors;
  const cfg = manifest.config.knn;
  const tr = tensorOf(get(k, 'train_features_raw')) as tf.Tensor2D;
  const te = tensorOf(get(k, 'test_features_raw')) as tf.Tensor2D;
  const res = await knnClassify(
    tr,
    get(k, 'train_labels').data as Int32Array,
    te,
    get(k, 'test_labels').data as Int32Array,
    cfg.num_classes,
    cfg.k,
    cfg.T,
  );
  tr.dispose();
  te.dispose();
  const expPred = get(k, 'pred').data;
  const top1 = get(k, 'top1').data[0];
  const top5 = get(k, 'top5').data[0];
  return [
    compareArrays(g, 'probs', res.probs, get(k, 'probs').data, tol.knnProbs),
    exactCheck(g, 'pred', res.pred.every((v, i) => v === expPred[i])),
    exactCheck(g, 'top1', Math.abs(res.top1 - top1) < 1e-4, `${res.top1.toFixed(3)} vs ${top1.toFixed(3)}`),
    exactCheck(g, 'top5', Math.abs(res.top5 - top5) < 1e-4, `${res.top5.toFixed(3)} vs ${top5.toFixed(3)}`),
  ];
}

async function scheduleChecks(readFile: CaseReader): Promise<CheckResult[]> {
  const s = JSON.parse(new TextDecoder().decode(await readFile('schedules.json')));
  const p = s.inputs;
  const n = p.niter_per_ep;
  const tol = { atol: 0, rtol: 1e-12 };
  return [
    compareArrays('schedules', 'lr', cosineScheduler(peakLr(p.lr, p.batch_size_per_gpu, p.world_size), p.min_lr, p.epochs, n, p.warmup_epochs), s.lr_schedule, tol),
    compareArrays('schedules', 'weight_decay', cosineScheduler(p.weight_decay, p.weight_decay_end, p.epochs, n), s.wd_schedule, tol),
    compareArrays('schedules', 'momentum', cosineScheduler(p.momentum_teacher, 1, p.epochs, n), s.momentum_schedule, tol),
    compareArrays(
      'schedules',
      'teacher_temp',
      teacherTempSchedule(p.warmup_teacher_temp, p.teacher_temp, p.warmup_teacher_temp_epochs, p.epochs),
      s.teacher_temp_schedule,
      tol,
    ),
  ];
}
