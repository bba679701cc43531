/**
 * Checks one golden case (reference outputs of the official PyTorch DINO code, see
 * shared/golden/README.md) against the engine. Every size and hyper-parameter comes from the case's
 * manifest and tensor shapes. Runs wherever the engine runs: Node (cpu, wasm) and the browser (webgpu).
 * One module per kind of check: golden-weights, -forward, -train, -knn, -schedules (the eval
 * cases, a different format, are seed-eval-case.ts).
 */
import { loadWeights } from '../engine/weights/layouts';
import type { CheckResult } from './compare';
import { headConfigOf, vitConfigOf, type CaseReader, type GoldenCase, type Manifest } from './golden-data';
import { forwardChecks } from './golden-forward';
import { knnChecks } from './golden-knn';
import { scheduleChecks } from './golden-schedules';
import { trainChecks } from './golden-train';
import { weightChecks } from './golden-weights';
import { tolerancesFor } from './tolerances';

/** 'train-micro': the training steps again with the student in micro-batches of half the batch
 *  (gradient accumulation, which the worker uses when a batch does not fit its backend's memory). */
export type CheckGroup = 'weights' | 'forward' | 'train' | 'train-micro' | 'knn' | 'schedules';
export const ALL_GROUPS: CheckGroup[] = ['weights', 'forward', 'train', 'train-micro', 'knn', 'schedules'];

interface RunOptions {
  groups?: CheckGroup[];
  /** 'reference' = the README's float32 tolerances; 'gpu' = its suggested start for WebGL/WebGPU. */
  tolerances?: 'reference' | 'gpu';
}

export async function runGoldenCase(readFile: CaseReader, opts: RunOptions = {}): Promise<CheckResult[]> {
  const groups = opts.groups ?? ALL_GROUPS;
  const manifest: Manifest = JSON.parse(new TextDecoder().decode(await readFile('manifest.json')));
  const vit = vitConfigOf(manifest);
  const c: GoldenCase = { readFile, manifest, vit, head: headConfigOf(manifest), tol: tolerancesFor(opts.tolerances ?? 'reference') };
  const results: CheckResult[] = [];

  const needsWeights = groups.includes('weights') || groups.includes('forward');
  const fromSt = needsWeights ? loadWeights('backbone.safetensors', await readFile('backbone.safetensors'), { numHeads: vit.numHeads }) : null;
  if (fromSt && groups.includes('weights')) results.push(...(await weightChecks(c, fromSt)));
  if (fromSt && groups.includes('forward')) results.push(...(await forwardChecks(c, fromSt)));
  if (groups.includes('train')) results.push(...(await trainChecks(c)));
  if (groups.includes('train-micro')) {
    // A batch of B runs as micro-batches of ceil(B / 2) images (uneven when B is odd); B = 1 has none.
    const B = manifest.config.batch_size as number;
    if (B > 1) results.push(...(await trainChecks(c, Math.ceil(B / 2))));
  }
  if (groups.includes('knn')) results.push(...(await knnChecks(c)));
  if (groups.includes('schedules')) results.push(...(await scheduleChecks(c)));
  return results;
}
