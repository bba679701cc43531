/**
 * The feature loop: CLS features of many images through the write-up's eval transform, batched,
 * with progress, cancel and an optional cache. Everything that needs features of the dataset (the
 * k-NN views, the embedding map, retrieval, the Train tab's k-NN button) goes through here.
 *
 *   image bytes -> evalTransform (CPU, PIL-exact) -> [B, 3, S, S] -> vitCls -> [B, D]
 *
 * Batches have one fixed size (the last is padded by repeating its final image), so WebGPU's buffer
 * pool sees one shape. Between batches the loop yields to the event loop, so a cancel message can
 * arrive.
 */
import * as tf from '@tensorflow/tfjs';
import type { ViTConfig } from '../../shared/config';
import type { ImagePixels } from '../../shared/protocol';
import type { Params } from '../params';
import { vitCls } from '../vit';
import { evalTransform, type EvalTransform } from './eval-transform';

export interface FeatureModel {
  params: Params;
  config: ViTConfig;
}

/** Where features already computed are kept (IndexedDB in the worker); keys are opaque strings. */
export interface FeatureCache {
  get(keys: string[]): Promise<(Float32Array | undefined)[]>;
  put(entries: [string, Float32Array][]): Promise<void>;
}

interface FeatureProgress {
  done: number;
  total: number;
  /** Images per second computed (cache hits excluded); 0 before the first batch. */
  imagesPerSec: number;
  /** Seconds left at that speed; null before it is known. */
  etaSeconds: number | null;
  fromCache: number;
}

/**
 * Images per forward pass of the feature loop. Bigger batches cost the wasm backend speed (a
 * batch's activations leave the cache: measured with npm run bench -- --feature-batches), and
 * every image of a batch waits for the slowest, so the batch is small.
 */
export const FEATURE_BATCH = 16;

interface FeatureLoopOptions {
  /** Images per forward pass (FEATURE_BATCH). */
  batchSize?: number;
  onProgress?: (p: FeatureProgress) => void;
  /** Polled between batches; the loop throws FeaturesCancelled when it returns true. */
  cancelled?: () => boolean;
  cache?: FeatureCache;
  /** Cache key of image i (required with `cache`). */
  keyOf?: (i: number) => string;
}

class FeaturesCancelled extends Error {
  constructor() {
    super('feature extraction cancelled');
  }
}

/** FNV-1a over bytes, continued from `h`: a cheap fingerprint for cache keys. */
export function fnv1a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

/** A fingerprint of a model's weights (every backbone value, in name order), for cache keys. */
export async function weightsFingerprint(m: FeatureModel): Promise<string> {
  let h = 0x811c9dc5;
  let count = 0;
  for (const name of Object.keys(m.params).filter((n) => n.startsWith('backbone.')).sort()) {
    const v = (await m.params[name].data()) as Float32Array;
    h = fnv1a(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), fnv1a(new TextEncoder().encode(name), h));
    count += v.length;
  }
  return `${h.toString(16)}-${count}`;
}

/** [n, D] CLS features of `images` (row i = image i). Throws FeaturesCancelled when cancelled. */
export async function extractFeatures(
  model: FeatureModel,
  images: readonly ImagePixels[],
  t: EvalTransform,
  opts: FeatureLoopOptions = {},
): Promise<Float32Array> {
  const n = images.length;
  const dim = model.config.embedDim;
  const out = new Float32Array(n * dim);
  const { cache, keyOf } = opts;
  if (cache && !keyOf) throw new Error('extractFeatures: a cache needs keyOf');
  // Cache hits first; only the rest is computed.
  const todo: number[] = [];
  if (cache) {
    const hits = await cache.get(images.map((_, i) => keyOf!(i)));
    hits.forEach((f, i) => (f && f.length === dim ? out.set(f, i * dim) : todo.push(i)));
  } else todo.push(...images.keys());
  const fromCache = n - todo.length;
  const batch = Math.max(1, Math.min(opts.batchSize ?? FEATURE_BATCH, todo.length));
  const s = t.crop;
  const input = new Float32Array(batch * 3 * s * s);
  const t0 = performance.now();
  const report = (done: number) => {
    const secs = (performance.now() - t0) / 1000;
    const rate = done > 0 && secs > 0 ? done / secs : 0;
    opts.onProgress?.({ done: fromCache + done, total: n, imagesPerSec: rate, etaSeconds: rate > 0 ? (todo.length - done) / rate : null, fromCache });
  };
  report(0);
  for (let b = 0; b < todo.length; b += batch) {
    if (opts.cancelled?.()) throw new FeaturesCancelled();
    const rows = todo.slice(b, b + batch);
    for (let j = 0; j < batch; j++) {
      const img = images[rows[Math.min(j, rows.length - 1)]];
      evalTransform(img.pixels, img.width, img.height, t, input, j * 3 * s * s);
    }
    const f = tf.tidy(() => vitCls(model.params, model.config, tf.tensor4d(input, [batch, 3, s, s]))); // [B, D]
    const data = (await f.data()) as Float32Array;
    f.dispose();
    const fresh: [string, Float32Array][] = [];
    rows.forEach((i, j) => {
      const row = data.slice(j * dim, (j + 1) * dim);
      out.set(row, i * dim);
      if (cache) fresh.push([keyOf!(i), row]);
    });
    if (cache) await cache.put(fresh);
    report(Math.min(b + batch, todo.length));
    await new Promise((r) => setTimeout(r, 0));
  }
  return out;
}

/** The eval-transformed pixels themselves as features [n, 3 * S * S] (the raw-pixel baseline). */
export function pixelFeatures(images: readonly ImagePixels[], t: EvalTransform): Float32Array {
  const d = 3 * t.crop * t.crop;
  const out = new Float32Array(images.length * d);
  images.forEach((img, i) => evalTransform(img.pixels, img.width, img.height, t, out, i * d));
  return out;
}
