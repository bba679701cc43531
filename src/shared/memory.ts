/**
 * What a DINO training step needs in memory, from the configuration's shapes alone, so the form
 * can show it beside the batch size and the worker can refuse a run that cannot fit its backend.
 *
 * tfjs keeps every tensor a step creates until the step's scope ends, so the peak is the sum of
 * what the forward pass creates (the tape), the gradients, and the state: student and teacher
 * weights, AdamW's two moments, one gradient per weight. The per-token constants count the floats
 * (in units of D) each block leaves per token: LayerNorms, qkv, projections, MLP, residuals,
 * stochastic depth, and the gradients alive at the peak. They are measured, not derived (tfjs's
 * composite ops leave many more intermediates than the fused wasm kernels), and
 * src/engine/memory-estimate.test.ts checks the whole estimate against tfjs's measured peak.
 */
import { LIMITS, type RunConfig } from './config';

/** Floats per token, in units of D, one block keeps at a training step's peak: fused wasm kernels. */
export const FUSED_FLOATS_PER_TOKEN = 76;
/** The same with tfjs's composite LayerNorm, GELU and attention (webgpu, webgl, cpu). */
export const COMPOSITE_FLOATS_PER_TOKEN = 210;

export interface MemoryEstimate {
  /** Student + teacher weights, AdamW moments and gradients. */
  stateBytes: number;
  /** The student's tape over all crops, plus the head's. */
  activationBytes: number;
  /** Attention probabilities kept by backends without the fused kernels (webgpu, webgl, cpu). */
  attentionBytes: number;
  totalBytes: number;
  params: number;
}

export function paramCount(cfg: RunConfig): { backbone: number; head: number } {
  const m = cfg.model;
  const D = m.embedDim;
  const F = m.mlpRatio * D;
  const P0 = (m.imgSize / m.patchSize) ** 2;
  const block = 4 * D + (3 * D * D + 3 * D) + (D * D + D) + (D * F + F) + (F * D + D);
  const backbone = 3 * m.patchSize ** 2 * D + D + D + (1 + P0) * D + m.depth * block + 2 * D;
  const h = cfg.head;
  const dims = [D, ...Array(Math.max(0, h.nlayers - 1)).fill(h.hiddenDim), h.bottleneckDim];
  let head = 0;
  for (let i = 0; i + 1 < dims.length; i++) head += dims[i] * dims[i + 1] + dims[i + 1];
  head += h.bottleneckDim * h.outDim + h.outDim; // weight-normalised last layer: v and g
  return { backbone, head };
}

/**
 * Peak bytes of one training step of `cfg`. `fusedKernels`: the backend runs dinolab's fused
 * attention, LayerNorm and GELU (wasm), which keep no attention probabilities.
 */
export function estimateTrainingMemory(cfg: RunConfig, fusedKernels: boolean): MemoryEstimate {
  const { model: m, augment: a, train: t, head: h } = cfg;
  const B = t.batchSize;
  const D = m.embedDim;
  const { backbone, head } = paramCount(cfg);
  const params = backbone + head;
  // student + teacher + AdamW m and v + gradients
  const stateBytes = 4 * params * 5;
  const tokens = (side: number) => 1 + (side / m.patchSize) ** 2;
  const crops = [
    { n: 2 * B, N: tokens(a.globalSize) },
    { n: a.nLocalCrops * B, N: tokens(a.localSize) },
  ];
  const rows = crops.reduce((s, c) => s + c.n * c.N, 0);
  const views = crops.reduce((s, c) => s + c.n, 0);
  const headFloats = views * (4 * h.hiddenDim * Math.max(0, h.nlayers - 1) + 2 * h.bottleneckDim + 6 * h.outDim);
  const perToken = fusedKernels ? FUSED_FLOATS_PER_TOKEN : COMPOSITE_FLOATS_PER_TOKEN;
  const activationBytes = 4 * (m.depth * perToken * D * rows + headFloats);
  const attentionBytes = fusedKernels ? 0 : 4 * m.depth * 3 * m.numHeads * crops.reduce((s, c) => s + c.n * c.N * c.N, 0);
  return { stateBytes, activationBytes, attentionBytes, totalBytes: stateBytes + activationBytes + attentionBytes, params };
}

/**
 * Memory a backend can give one run: wasm32's address space is 4 GiB, of which tfjs's allocator and
 * its fragmentation leave about 3.5 for tensors; plain-JS cpu tensors live in the JS heap, capped
 * near 4 GiB too. GPU backends report no total, so no bound is assumed there.
 */
export const MEMORY_BUDGET_BYTES: Partial<Record<string, number>> = { wasm: 3.5 * 2 ** 30, cpu: 3.5 * 2 ** 30 };

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/** Why `cfg` cannot train on `backend` (with what to reduce), or null when it fits. */
export function memoryRefusal(cfg: RunConfig, backend: string): string | null {
  const budget = MEMORY_BUDGET_BYTES[backend];
  if (budget === undefined) return null;
  const est = estimateTrainingMemory(cfg, backend === 'wasm');
  if (est.totalBytes <= budget) return null;
  // Everything but the state grows with the batch: the largest valid batch that fits.
  let fits = Math.min(cfg.train.batchSize - 1, LIMITS.maxBatchSize);
  while (fits > 0 && estimateTrainingMemory({ ...cfg, train: { ...cfg.train, batchSize: fits } }, backend === 'wasm').totalBytes > budget) fits--;
  const lower = fits > 0 ? `lower the batch size to ${fits} or less, or` : 'use';
  return (
    `this run needs about ${gib(est.totalBytes)} per step (weights and optimizer ${gib(est.stateBytes)}, activations ${gib(est.activationBytes + est.attentionBytes)}), ` +
    `more than the ${gib(budget)} the ${backend} backend can hold: ${lower} fewer or smaller crops, or a smaller model`
  );
}
