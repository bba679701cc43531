/**
 * Whole-run checkpoints: student, teacher, AdamW moments and per-parameter step counts, center,
 * step, RNG state, config and the metric history, in one safetensors file. Restoring it continues
 * the run exactly where it stopped (same batches, same crops).
 *
 * A checkpoint can come from anywhere (a dropped file), so its stored config is checked like any
 * user input (validateConfig), its run may have at most MAX_RUN_STEPS steps (the schedules hold
 * one value per step), and every tensor the config implies must be in the file with its shape
 * before anything is built: the model can never be larger than the file.
 */
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type RunConfig } from '../shared/config';
import { shapeStr, type HostTensor, type TensorMap } from '../shared/host-tensor';
import { METRIC_FIELDS, type MetricRow } from '../shared/protocol';
import { Rng, type RngState } from '../shared/rng';
import { DinoRun } from './dino-run';
import { dinoShapes } from '../shared/param-shapes';
import { WeightsError, listText, preview } from './weights/errors';
import { readSafetensors, writeSafetensors } from './weights/safetensors';

const META_KEY = 'dinolab.checkpoint';
/** Most steps a stored run may have: 2^22, three float64 schedules of 32 MB each; at 0.1 s a step, 5 days of training. */
const MAX_RUN_STEPS = 2 ** 22;

interface CheckpointMeta {
  version: 1;
  config: RunConfig;
  step: number;
  datasetSize: number;
  rng: RngState;
  /** AdamW step count of each trainable parameter. */
  optSteps: Record<string, number>;
}

async function host(t: tf.Tensor): Promise<HostTensor> {
  return { dtype: 'float32', shape: t.shape.slice(), data: new Float32Array((await t.data()) as Float32Array) };
}

export async function saveCheckpoint(run: DinoRun, datasetSize: number, metrics: MetricRow[]): Promise<Uint8Array> {
  const m = run.model;
  const tensors: TensorMap = new Map();
  for (const [name] of dinoShapes(m.vit, m.head)) {
    tensors.set(`student.${name}`, await host(m.student[name]));
    tensors.set(`teacher.${name}`, await host(m.teacher[name]));
  }
  const optSteps: Record<string, number> = {};
  for (const [name, slot] of Object.entries(m.opt.slots)) {
    tensors.set(`opt.m.${name}`, await host(slot.m));
    tensors.set(`opt.v.${name}`, await host(slot.v));
    optSteps[name] = slot.t;
  }
  tensors.set('center', await host(m.center));
  const rows = new Float32Array(metrics.length * METRIC_FIELDS.length);
  metrics.forEach((r, i) => METRIC_FIELDS.forEach((f, j) => (rows[i * METRIC_FIELDS.length + j] = r[f] as number)));
  tensors.set('metrics', { dtype: 'float32', shape: [metrics.length, METRIC_FIELDS.length], data: rows });
  const meta: CheckpointMeta = { version: 1, config: run.config, step: run.step, datasetSize, rng: run.rngState(), optSteps };
  return writeSafetensors(tensors, { [META_KEY]: JSON.stringify(meta), format: 'dinolab-checkpoint' });
}

export function isCheckpoint(bytes: Uint8Array): boolean {
  try {
    return META_KEY in readSafetensors(bytes).metadata;
  } catch {
    return false;
  }
}

function fail(msg: string): never {
  throw new WeightsError(`dinolab checkpoint: ${msg}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** validateConfig's findings as text, whether it returns sentences or {path, message} records. */
function problemText(p: unknown): string {
  return isObject(p) && typeof p.message === 'string' ? `${String(p.path ?? '')} ${p.message}`.trim() : String(p);
}

/** The stored metadata, checked as untrusted input; the tensors it implies are checked against `tensors`. */
function checkedMeta(metaText: string, tensors: TensorMap): CheckpointMeta {
  let meta: unknown;
  try {
    meta = JSON.parse(metaText);
  } catch {
    return fail('the dinolab.checkpoint metadata is not JSON');
  }
  if (!isObject(meta)) return fail('the dinolab.checkpoint metadata is not an object');
  if (meta.version !== 1) fail(`unsupported version ${preview(meta.version)}`);
  const c = meta.config;
  if (!isObject(c) || !['model', 'head', 'augment', 'train'].every((k) => isObject(c[k]))) {
    fail('the stored config lacks its model, head, augment or train part');
  }
  let problems: unknown[];
  try {
    problems = validateConfig(c as unknown as RunConfig);
  } catch (e) {
    return fail(`the stored config is malformed (${(e as Error).message})`);
  }
  if (problems.length) fail(`the stored config is invalid: ${listText(problems.map(problemText), 3)}`);
  const config = c as unknown as RunConfig;
  const rng = meta.rng;
  const rngOk = Array.isArray(rng) && rng.length === 4 && rng.every((x) => Number.isInteger(x));
  if (!isCount(meta.step) || !isCount(meta.datasetSize) || !isObject(meta.optSteps) || !rngOk) {
    fail('step, datasetSize, optSteps or rng is missing or malformed');
  }
  const steps = Math.floor((meta.datasetSize as number) / config.train.batchSize) * config.train.epochs;
  if (!(steps <= MAX_RUN_STEPS)) fail(`the stored run has ${steps} steps, more than the ${MAX_RUN_STEPS} a run may have`);
  if ((meta.step as number) > steps) fail(`step ${meta.step as number} is past the run's ${steps} steps`);

  // Every parameter the config implies, in the file with its shape, before anything is allocated.
  const wrong: string[] = [];
  const shapes = new Map(dinoShapes(config.model, config.head));
  for (const [name, shape] of shapes) {
    for (const key of [`student.${name}`, `teacher.${name}`]) {
      const t = tensors.get(key);
      if (!t) wrong.push(`${key} missing`);
      else if (shapeStr(t.shape) !== shapeStr(shape)) wrong.push(`${key} is ${shapeStr(t.shape)}, expected ${shapeStr(shape)}`);
    }
  }
  for (const [key, t] of tensors) {
    const m = /^opt\.[mv]\.(.*)$/.exec(key);
    const want = m ? shapes.get(m[1]) : undefined;
    if (m && (!want || shapeStr(want) !== shapeStr(t.shape))) wrong.push(`${key} does not match a parameter`);
  }
  const center = tensors.get('center');
  if (center && shapeStr(center.shape) !== shapeStr([1, config.head.outDim])) wrong.push(`center is ${shapeStr(center.shape)}, expected ${shapeStr([1, config.head.outDim])}`);
  const rows = tensors.get('metrics');
  if (rows && (rows.shape.length !== 2 || rows.shape[1] !== METRIC_FIELDS.length)) wrong.push(`metrics is ${shapeStr(rows.shape)}, expected [n, ${METRIC_FIELDS.length}]`);
  if (wrong.length) fail(`the tensors do not match the stored config: ${listText(wrong, 3)}`);
  return meta as unknown as CheckpointMeta;
}

/** Rebuilds a run from checkpoint bytes. Throws a WeightsError for files that are not dinolab
 *  checkpoints or whose config or tensors do not hold up (see the file comment). */
export function restoreCheckpoint(bytes: Uint8Array): { run: DinoRun; metrics: MetricRow[]; datasetSize: number } {
  const file = readSafetensors(bytes);
  const metaText = file.metadata[META_KEY];
  if (!metaText) fail('this file is not a dinolab checkpoint (no dinolab.checkpoint metadata)');
  const meta = checkedMeta(metaText, file.tensors);
  const pick = (prefix: string): TensorMap => {
    const out: TensorMap = new Map();
    for (const [n, t] of file.tensors) if (n.startsWith(prefix)) out.set(n.slice(prefix.length), t);
    return out;
  };
  const center = file.tensors.get('center');
  const run = new DinoRun(meta.config, meta.datasetSize, pick('student.'), center?.data as Float32Array | undefined);
  const teacher = pick('teacher.');
  tf.tidy(() => {
    for (const [name, v] of Object.entries(run.model.teacher)) {
      const t = teacher.get(name);
      if (!t) fail(`no teacher.${name}`);
      v.assign(tf.tensor(t.data, t.shape));
    }
    for (const [name, slot] of Object.entries(run.model.opt.slots)) {
      const mt = file.tensors.get(`opt.m.${name}`);
      const vt = file.tensors.get(`opt.v.${name}`);
      if (!mt || !vt) fail(`no optimizer state for ${name}`);
      slot.m.assign(tf.tensor(mt.data, mt.shape));
      slot.v.assign(tf.tensor(vt.data, vt.shape));
      slot.t = meta.optSteps[name] ?? 0;
    }
  });
  run.step = meta.step;
  run.rng = new Rng(meta.rng);
  const rowsT = file.tensors.get('metrics');
  const metrics: MetricRow[] = [];
  if (rowsT && rowsT.shape[0] > 0) {
    const F = METRIC_FIELDS.length;
    for (let i = 0; i < rowsT.shape[0]; i++) {
      const row = {} as Record<keyof MetricRow, number>;
      METRIC_FIELDS.forEach((f, j) => (row[f] = rowsT.data[i * F + j]));
      metrics.push(row as MetricRow);
    }
  }
  return { run, metrics, datasetSize: meta.datasetSize };
}
