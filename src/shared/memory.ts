/**
 * What a DINO training step needs in memory, from the configuration's shapes alone, so the form
 * can show it beside the batch size, the worker can split a step into micro-batches that fit its
 * backend, and refuse a run that cannot fit even one image at a time.
 *
 * tfjs keeps every tensor a step creates until the step's scope ends, so the peak is the sum of
 * what the forward pass creates (the tape), the gradients, and the state: student and teacher
 * weights, AdamW's two moments, one gradient per weight. The per-token constants count the floats
 * (in units of D) each block leaves per token: LayerNorms, qkv, projections, MLP, residuals,
 * stochastic depth, and the gradients alive at the peak. They are measured, not derived (tfjs's
 * composite ops leave many more intermediates than the fused wasm kernels), and
 * src/engine/memory-estimate.test.ts checks the whole estimate against tfjs's measured peak.
 */
import type { RunConfig } from './config';
import { backboneShapes, headShapes, type ShapeTable } from './param-shapes';

/** Floats per token, in units of D, one block keeps at a training step's peak: fused wasm kernels. */
const FUSED_FLOATS_PER_TOKEN = 67;
/** The same with tfjs's composite LayerNorm, GELU and attention (webgpu, webgl, cpu). */
const COMPOSITE_FLOATS_PER_TOKEN = 210;
/**
 * Floats per token, in units of D, the teacher's forward over the whole batch's global crops holds
 * at its peak (one block at a time, no tape): fused kernels, and composite ops (plus their
 * attention probabilities, counted apart). Measured with tf.profile, independent of the depth.
 */
const TEACHER_FUSED_FLOATS_PER_TOKEN = 29;
const TEACHER_COMPOSITE_FLOATS_PER_TOKEN = 71;

export interface MemoryEstimate {
  /** Student + teacher weights, AdamW moments and gradients (and their sum over micro-batches). */
  stateBytes: number;
  /** The student's tape over all crops of one micro-batch, plus the head's. */
  activationBytes: number;
  /** Attention probabilities kept by backends without the fused kernels (webgpu, webgl, cpu). */
  attentionBytes: number;
  /**
   * What the whole batch holds however the student is split: its crops, the teacher's outputs and
   * targets, and (before the student runs) the teacher's forward over every global crop.
   */
  wholeBatchBytes: number;
  totalBytes: number;
  params: number;
  /** Images per micro-batch the estimate assumes (the batch size when the step is not split). */
  microBatch: number;
}

/** Parameters of the backbone and the head, counted from the one shape table. */
export function paramCount(cfg: RunConfig): { backbone: number; head: number } {
  const count = (t: ShapeTable) => t.reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
  return { backbone: count(backboneShapes(cfg.model)), head: count(headShapes(cfg.model.embedDim, cfg.head)) };
}

/**
 * Peak bytes of one training step of `cfg`, with the student run in micro-batches of `microBatch`
 * images (the whole batch by default). `fusedKernels`: the backend runs dinolab's fused attention,
 * LayerNorm and GELU (wasm), which keep no attention probabilities.
 */
export function estimateTrainingMemory(cfg: RunConfig, fusedKernels: boolean, microBatch = cfg.train.batchSize): MemoryEstimate {
  const { model: m, augment: a, train: t, head: h } = cfg;
  const b = Math.max(1, Math.min(microBatch, t.batchSize));
  const D = m.embedDim;
  const { backbone, head } = paramCount(cfg);
  const params = backbone + head;
  // student + teacher + AdamW m and v + gradients; split steps also hold the gradients' running sum
  const stateBytes = 4 * params * (b < t.batchSize ? 6 : 5);
  const tokens = (side: number) => 1 + (side / m.patchSize) ** 2;
  const crops = [
    { n: 2 * b, N: tokens(a.globalSize) },
    { n: a.nLocalCrops * b, N: tokens(a.localSize) },
  ];
  const rows = crops.reduce((s, c) => s + c.n * c.N, 0);
  const views = crops.reduce((s, c) => s + c.n, 0);
  const headFloats = views * (4 * h.hiddenDim * Math.max(0, h.nlayers - 1) + 2 * h.bottleneckDim + 6 * h.outDim);
  const perToken = fusedKernels ? FUSED_FLOATS_PER_TOKEN : COMPOSITE_FLOATS_PER_TOKEN;
  const activationBytes = 4 * (m.depth * perToken * D * rows + headFloats);
  const attentionBytes = fusedKernels ? 0 : 4 * m.depth * 3 * m.numHeads * crops.reduce((s, c) => s + c.n * c.N * c.N, 0);
  // The whole batch, whatever the micro-batch: crops, and the teacher's output and targets (2B x K).
  const B = t.batchSize;
  const Ng = tokens(a.globalSize);
  const cropBytes = 4 * 3 * B * (2 * a.globalSize ** 2 + a.nLocalCrops * a.localSize ** 2);
  const targetBytes = 4 * 2 * (2 * B) * h.outDim;
  const teacherBytes =
    4 * 2 * B * Ng * D * (fusedKernels ? TEACHER_FUSED_FLOATS_PER_TOKEN : TEACHER_COMPOSITE_FLOATS_PER_TOKEN) +
    (fusedKernels ? 0 : 4 * 2 * m.numHeads * Ng * Ng * 2 * B);
  // Two phases: the teacher's forward (weights and moments, no gradients yet), then the student's.
  const teacherPhase = 4 * params * 4 + cropBytes + teacherBytes;
  const studentPhase = stateBytes + cropBytes + targetBytes + activationBytes + attentionBytes;
  const totalBytes = Math.max(teacherPhase, studentPhase);
  return {
    stateBytes,
    activationBytes,
    attentionBytes,
    wholeBatchBytes: totalBytes - stateBytes - activationBytes - attentionBytes,
    totalBytes,
    params,
    microBatch: b,
  };
}

/**
 * Memory a backend can give one run: wasm32's address space is 4 GiB, of which tfjs's allocator and
 * its fragmentation leave about 3.5 for tensors; plain-JS cpu tensors live in the JS heap, capped
 * near 4 GiB too. GPU backends report no total, so no bound is assumed there.
 */
export const MEMORY_BUDGET_BYTES: Partial<Record<string, number>> = { wasm: 3.5 * 2 ** 30, cpu: 3.5 * 2 ** 30 };

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/** The share of a backend's memory budget a plan may fill: the estimate's error, kept free. */
export const PLAN_SHARE = 0.88;

/**
 * How the worker runs a step of `cfg` on `backend`: the whole batch when it fits, else the largest
 * micro-batch that does (the step's result is the same; see StepOptions.microBatch), else null.
 * Backends with no known bound run the whole batch.
 */
export function planMemory(cfg: RunConfig, backend: string): MemoryEstimate | null {
  const fused = backend === 'wasm';
  const whole = estimateTrainingMemory(cfg, fused);
  const limit = MEMORY_BUDGET_BYTES[backend];
  if (limit === undefined) return whole;
  // The estimate has come within 11 % of the measured peaks (memory-estimate.test.ts): plan with that margin.
  const budget = PLAN_SHARE * limit;
  if (whole.totalBytes <= budget) return whole;
  // Memory grows with the micro-batch: bisect for the largest that fits.
  let lo = 0;
  let hi = cfg.train.batchSize - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (estimateTrainingMemory(cfg, fused, mid).totalBytes <= budget) lo = mid;
    else hi = mid - 1;
  }
  return lo > 0 ? estimateTrainingMemory(cfg, fused, lo) : null;
}

/** Why `cfg` cannot train on `backend` even one image per micro-batch (with what to reduce), or null. */
export function memoryRefusal(cfg: RunConfig, backend: string): string | null {
  if (planMemory(cfg, backend)) return null;
  const est = estimateTrainingMemory(cfg, backend === 'wasm', 1);
  return (
    `even one image at a time, a step needs about ${gib(est.totalBytes)} (weights and optimizer ${gib(est.stateBytes)}, activations ${gib(est.activationBytes + est.attentionBytes)}, ` +
    `the whole batch's crops and teacher pass ${gib(est.wholeBatchBytes)}), more than the ${gib(PLAN_SHARE * MEMORY_BUDGET_BYTES[backend]!)} the ${backend} backend can safely hold: ` +
    `use a smaller batch, fewer or smaller crops, a smaller head (prototypes K), or a smaller model`
  );
}
