/**
 * Whole-run checkpoints: student, teacher, AdamW moments and per-parameter step counts, center,
 * step, RNG state, config and the metric history, in one safetensors file. Restoring it continues
 * the run exactly where it stopped (same batches, same crops).
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../shared/config';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import type { MetricRow } from '../shared/protocol';
import { Rng, type RngState } from '../shared/rng';
import { DinoRun } from './dino-run';
import { dinoShapes } from './params';
import { readSafetensors, writeSafetensors } from './weights/safetensors';

const META_KEY = 'dinolab.checkpoint';
const METRIC_FIELDS: (keyof MetricRow)[] = [
  'step', 'epoch', 'loss', 'teacherEntropy', 'kl', 'centerNorm', 'lr', 'wd', 'momentum', 'teacherTemp',
  'msPerStep', 'imagesPerSec', 'numTensors', 'numBytes',
];

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

/** Rebuilds a run from checkpoint bytes. Throws a clear error for files that are not dinolab checkpoints. */
export function restoreCheckpoint(bytes: Uint8Array): { run: DinoRun; metrics: MetricRow[]; datasetSize: number } {
  const file = readSafetensors(bytes);
  const metaText = file.metadata[META_KEY];
  if (!metaText) throw new Error('this file is not a dinolab checkpoint (no dinolab.checkpoint metadata)');
  const meta = JSON.parse(metaText) as CheckpointMeta;
  if (meta.version !== 1) throw new Error(`unsupported dinolab checkpoint version ${meta.version}`);
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
      if (!t) throw new Error(`checkpoint has no teacher.${name}`);
      v.assign(tf.tensor(t.data, t.shape));
    }
    for (const [name, slot] of Object.entries(run.model.opt.slots)) {
      const mt = file.tensors.get(`opt.m.${name}`);
      const vt = file.tensors.get(`opt.v.${name}`);
      if (!mt || !vt) throw new Error(`checkpoint has no optimizer state for ${name}`);
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
