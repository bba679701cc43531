/**
 * What a golden case holds, as the checks read it: its files by name, the manifest (config and
 * results of the official run), the model configs it implies, and its tensors, moved to and from
 * the device. Every check module takes a GoldenCase.
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, ViTConfig } from '../shared/config';
import { fromOfficial } from '../shared/config-fields';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import type { Tolerances } from './tolerances';

/** Reads a file of the case by name (manifest.json, forward.safetensors, ...). */
export type CaseReader = (name: string) => Promise<Uint8Array>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manifest = any;

/** One case under check: its files, manifest, model configs and the tolerances of this run. */
export interface GoldenCase {
  readFile: CaseReader;
  manifest: Manifest;
  vit: ViTConfig;
  head: HeadConfig;
  tol: Tolerances;
}

/** A tensor of the case, with an error naming it when the file lacks it. */
export function get(map: TensorMap, name: string): HostTensor {
  const t = map.get(name);
  if (!t) throw new Error(`golden tensor ${name} is missing`);
  return t;
}

/** A host tensor on the device. Caller owns it. */
export function tensorOf(h: HostTensor): tf.Tensor {
  return tf.tensor(h.data, h.shape, h.dtype);
}

/** A device tensor read back as float32. */
export async function read(t: tf.Tensor): Promise<Float32Array> {
  return new Float32Array((await t.data()) as Float32Array);
}

/** The case's backbone, read by each field's official name (config-fields.ts); the case builds
 *  its position table for the global crop size. */
export function vitConfigOf(m: Manifest): ViTConfig {
  return fromOfficial('model', m.config, { names: { imgSize: 'global_size' } });
}

export function headConfigOf(m: Manifest): HeadConfig {
  if (m.config.use_bn) throw new Error('golden case uses batch norm in the head, which dinolab does not implement');
  return fromOfficial('head', m.config, { defaults: { normLastLayer: true } });
}
