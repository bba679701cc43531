/**
 * The whole boundary between the main thread (UI) and the training worker.
 *
 * Commands go in, events come out; both are tagged unions switched exhaustively on `type`.
 * Only plain data crosses: numbers, strings, typed arrays (transferred), never tensors.
 * Commands that expect an answer carry a `requestId`; the matching event echoes it.
 */
import type { RunConfig, ViTConfig } from './config';

export type BackendName = 'webgpu' | 'wasm' | 'webgl' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface BackendInfo {
  name: BackendName;
  /** Why this backend runs, in words a person understands (e.g. "software WebGPU adapter
   *  (SwiftShader): wasm is faster on this machine"). */
  reason: string;
  /** GPU adapter description when WebGPU was probed, e.g. "swiftshader" or "nvidia ampere". */
  adapter?: string;
  /** wasm only: threads in use (1 unless the page is cross-origin isolated). */
  threads?: number;
}

/** One image of the dataset: RGB bytes in row-major HWC order, already downscaled on import. */
export interface DatasetImage {
  id: string;
  /** Folder name (or demo class) the image came with; null when unlabelled. */
  label: string | null;
  width: number;
  height: number;
  /** width * height * 3 bytes. */
  pixels: Uint8Array;
}

/** An image sent for a one-off computation (attention, augmentation preview). */
export interface ImagePixels {
  width: number;
  height: number;
  /** width * height * 3 bytes, RGB. */
  pixels: Uint8Array;
}

export type RunState = 'idle' | 'running' | 'paused' | 'stopped' | 'finished' | 'error';

/** Metrics of one training step, read back from the device in batches. */
export interface MetricRow {
  step: number;
  epoch: number;
  loss: number;
  /** Mean entropy h(Pt) of the teacher's (centred, sharpened) distribution, nats. */
  teacherEntropy: number;
  /** loss - teacherEntropy = mean KL(Pt || Ps), nats. */
  kl: number;
  /** L2 norm of the center vector. */
  centerNorm: number;
  lr: number;
  wd: number;
  momentum: number;
  teacherTemp: number;
  msPerStep: number;
  imagesPerSec: number;
  numTensors: number;
  numBytes: number;
}

export type MetricField = keyof MetricRow;

/**
 * Every MetricRow field, in one fixed order: the columns of a checkpoint's `metrics` tensor (read
 * back by position, so append, never reorder), of the metric table and of its CSV export.
 */
export const METRIC_FIELDS: readonly MetricField[] = [
  'step', 'epoch', 'loss', 'teacherEntropy', 'kl', 'centerNorm', 'lr', 'wd', 'momentum', 'teacherTemp',
  'msPerStep', 'imagesPerSec', 'numTensors', 'numBytes',
];

/** Precomputed per-iteration schedules (one value per step; teacherTemp one per epoch). */
export interface Schedules {
  lr: Float64Array;
  wd: Float64Array;
  momentum: Float64Array;
  teacherTemp: Float64Array;
  stepsPerEpoch: number;
}

export interface Progress {
  state: RunState;
  step: number;
  totalSteps: number;
  epoch: number;
  epochs: number;
  stepsPerEpoch: number;
  imagesPerSec: number;
  msPerStep: number;
  /** Seconds left at the current speed; null before the speed is known. */
  etaSeconds: number | null;
  /** Images per micro-batch of the student (the batch size when steps are not split); 0 without a run. */
  microBatch: number;
  memory: MemoryReadout;
}

/** Memory of the backend in use, as the runtime readout shows it. */
export interface MemoryReadout {
  /** Bytes of live tensors (tf.memory()), between steps. */
  tensorBytes: number;
  /** wasm: bytes the heap has grown to (never shrinks); null elsewhere. */
  heapBytes: number | null;
  /** What one run may use on this backend (MEMORY_BUDGET_BYTES); null when the backend states none. */
  limitBytes: number | null;
}

export type Network = 'teacher' | 'student';

/** Which model the inspector and the evaluations read: the run's networks or loaded weights. */
export type ModelSource = 'run' | 'weights';

export interface AttentionRequest {
  image: ImagePixels;
  /** Resize target [height, width] in pixels; each is rounded down to a multiple of the patch. */
  size: [number, number];
  network: Network;
  /** Block index (negative counts from the end, -1 = last block). */
  block: number;
  /** Query token: 0 = CLS, 1 + r * cols + c = the patch at row r, column c. */
  query: number;
  /** An already normalised input [1, 3, H, W] used instead of `image` and `size` (tensor-level
   *  inspection, and checks against reference inputs such as the golden data). */
  input?: { shape: [number, number, number, number]; data: Float32Array };
}

export interface AttentionResult {
  /** Per-head attention of the query to every patch, [heads, rows, cols] row-major. */
  maps: Float32Array;
  heads: number;
  grid: [number, number];
  /** The pixel size the image was resized to (multiple of the patch size). */
  size: [number, number];
  patchSize: number;
  network: Network;
  block: number;
  query: number;
  step: number;
  /** The model the maps were computed from, as the screen names it ("run at step 572",
   *  "weights dino_deitsmall8_pretrain.pth"). */
  model: string;
}

export interface WeightsReport {
  fileName: string;
  /** Which key layout was recognised. */
  layout: 'official-backbone' | 'official-checkpoint' | 'huggingface' | 'dinolab';
  arch: ViTConfig;
  /** Keys that were read but not used, and keys the model needed but did not find. */
  unexpected: string[];
  missing: string[];
  hasHead: boolean;
  /** Tensors holding NaN or ±Inf ("name (n of m)"; a few, then "... and N more"). */
  nonFinite: string[];
  /** True while weights with non-finite values wait for the person's `acceptWeights`: they are
   *  not in use until then. */
  pending: boolean;
}

// ---- evaluation of features (the write-up's k-NN and t-SNE, retrieval) ------------------------

/** Which features: the model's CLS, the eval-transformed pixels, or a randomly initialised ViT's CLS. */
export type FeatureSource = 'model' | 'pixels' | 'random';

export interface FeatureRequest {
  network: Network;
  /** Eval-transform crop side, px (224 in the write-up; Resize is resolution * 256 / 224). */
  resolution: number;
  /** Also the baselines: the eval-transformed pixels at 32 px and a randomly initialised ViT of the same shape. */
  baselines: boolean;
  /** Only these dataset images (ids); every image when absent. */
  ids?: string[];
}

export interface FeatureSummary {
  count: number;
  dim: number;
  /** Dataset image ids, in feature-row order. */
  ids: string[];
  /** Class id per row (index into classNames), -1 when unlabelled. */
  labels: Int32Array;
  classNames: string[];
  sources: FeatureSource[];
  /** What the features came from, in words (weights, network, transform). */
  description: string;
  seconds: number;
  fromCache: number;
}

/**
 * 'sklearn': the write-up's KNeighborsClassifier defaults (Euclidean, uniform votes, ties to the
 * smallest class id). 'dino': the official eval_knn.py (cosine, votes weighted by exp(sim / T)).
 */
export type KnnRule = 'sklearn' | 'dino';

export interface KnnSettings {
  rule: KnnRule;
  k: number;
  /** Only the 'dino' rule: vote temperature (0.07). */
  temperature: number;
  /** Fraction of each class held out for validation (0.2). */
  valFraction: number;
  seed: number;
}

export interface KnnReport {
  source: FeatureSource;
  rule: KnnRule;
  /** Top-1 accuracy, 0..1. */
  accuracy: number;
  /** 'dino' rule only: top-5 accuracy, 0..1. */
  top5: number | null;
  /** Accuracy per class (NaN for a class without validation rows). */
  perClass: Float64Array;
  /** [C, C] counts, row = true class, column = predicted. */
  confusion: Int32Array;
  nTrain: number;
  nVal: number;
}

export type EmbedMethod = 'tsne' | 'umap' | 'pca';

/** Patch PCA as RGB and attention rollout of one image (the inspector's views beyond the CLS row). */
export interface PatchViewsRequest {
  image: ImagePixels;
  /** Resize target [height, width] in pixels, rounded down to multiples of the patch. */
  size: [number, number];
  network: Network;
  /** How the heads of a block are combined for rollout. */
  fusion: 'mean' | 'max' | 'min';
  /** Fraction of each block's weakest attention weights set to 0 before rollout, in [0, 1). */
  discardRatio: number;
}

export interface PatchViewsResult {
  grid: [number, number];
  /** [rows * cols * 3] bytes: the first three principal components of the last block's patch tokens as RGB; background black. */
  pcaRgb: Uint8Array;
  /** [rows * cols] 1 = foreground (the first component thresholded at 0, background side by the border). */
  foreground: Uint8Array;
  /** [rows * cols] rollout of the CLS token's attention to each patch, max 1. */
  rollout: Float32Array;
  fusion: 'mean' | 'max' | 'min';
  discardRatio: number;
}

export type WorkerCommand =
  | { type: 'init'; backend: BackendChoice }
  | { type: 'setBackend'; backend: BackendChoice }
  | { type: 'loadImages'; images: DatasetImage[]; replace: boolean }
  | { type: 'removeImages'; ids: string[] }
  /** The config of the next run. With `preview`, only plan it (the form's config, for its schedule
   *  charts): the worker answers `configured` with `preview` set and keeps its own config. */
  | { type: 'configure'; config: RunConfig; preview?: boolean }
  | { type: 'start'; fromWeights: boolean }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'step' }
  | { type: 'stop' }
  /** `numHeads` is needed only when the width is not a multiple of 64 (the released models' head width). */
  | { type: 'loadWeights'; requestId: number; fileName: string; bytes: ArrayBuffer; numHeads?: number }
  /** Use the weights a `pending` report describes (NaN or ±Inf in them, accepted by the person). */
  | { type: 'acceptWeights'; requestId: number }
  | { type: 'saveCheckpoint'; requestId: number }
  | { type: 'restoreCheckpoint'; requestId: number; bytes: ArrayBuffer | null }
  | { type: 'exportWeights'; requestId: number; format: 'official-checkpoint' | 'teacher-backbone' | 'teacher-safetensors' }
  | { type: 'attention'; requestId: number; request: AttentionRequest }
  | { type: 'augmentPreview'; requestId: number; image: ImagePixels; config: RunConfig }
  | { type: 'knn'; requestId: number; k: number; temperature: number }
  /** Inspect (attention, k-NN, evaluations) the run or the loaded weights from now on. */
  | { type: 'inspectSource'; source: ModelSource }
  | { type: 'extractFeatures'; requestId: number; request: FeatureRequest }
  /** Stops a feature extraction or an embedding between batches / iterations. */
  | { type: 'cancelEval' }
  | { type: 'evalKnn'; requestId: number; settings: KnnSettings }
  | { type: 'embed'; requestId: number; method: EmbedMethod }
  | { type: 'neighbors'; requestId: number; index: number; k: number; metric: 'euclidean' | 'cosine' }
  | { type: 'patchViews'; requestId: number; request: PatchViewsRequest };

export type WorkerEvent =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'backend'; backend: BackendInfo }
  | { type: 'dataset'; count: number; labels: Record<string, number> }
  /** A config and the schedules a run of it uses, built in the worker only: the run's own when it is
   *  the run's config, otherwise for the worker's dataset. `preview`: the answer to a preview. */
  | { type: 'configured'; config: RunConfig; schedules: Schedules; paramCount: number; preview: boolean }
  | { type: 'progress'; progress: Progress }
  | { type: 'metrics'; rows: MetricRow[] }
  | { type: 'weightsLoaded'; requestId: number; report: WeightsReport }
  | { type: 'checkpoint'; requestId: number; bytes: ArrayBuffer; fileName: string }
  | { type: 'restored'; requestId: number; step: number }
  | { type: 'exported'; requestId: number; bytes: ArrayBuffer; fileName: string }
  | { type: 'attention'; requestId: number; result: AttentionResult }
  | {
      type: 'augmentPreview';
      requestId: number;
      /** Each crop as RGB bytes (un-normalised, for display), global crops first. */
      crops: ImagePixels[];
      kinds: ('global' | 'local')[];
    }
  | { type: 'knn'; requestId: number; top1: number; top5: number; nTrain: number; nTest: number; model: string }
  /** What the inspector reads now (null: nothing to inspect yet), and the loaded weights' file. */
  | { type: 'inspecting'; source: ModelSource | null; weightsFile: string | null }
  | { type: 'featureProgress'; requestId: number; stage: string; done: number; total: number; imagesPerSec: number; etaSeconds: number | null }
  | { type: 'features'; requestId: number; summary: FeatureSummary }
  /** `unscorable` says why there is no score (no labels, one class, too few images). */
  | { type: 'evalKnn'; requestId: number; reports: KnnReport[]; unscorable: string | null }
  | { type: 'embedProgress'; requestId: number; method: EmbedMethod; iteration: number; total: number; coords: Float32Array }
  | { type: 'embedding'; requestId: number; method: EmbedMethod; coords: Float32Array; seconds: number }
  | { type: 'neighbors'; requestId: number; index: number; indices: Int32Array; distances: Float32Array }
  | { type: 'patchViews'; requestId: number; result: PatchViewsResult }
  /** A non-finite loss: training paused; `canRollBack` says a good checkpoint exists. */
  | { type: 'diverged'; step: number; message: string; canRollBack: boolean }
  | { type: 'error'; requestId?: number; message: string };

/** Typed arrays inside a message that can be transferred instead of copied. */
export function transferables(msg: WorkerCommand | WorkerEvent): Transferable[] {
  const out: Transferable[] = [];
  const seen = new Set<ArrayBufferLike>();
  const visit = (v: unknown): void => {
    if (v instanceof ArrayBuffer) {
      if (!seen.has(v)) out.push(v);
      seen.add(v);
    } else if (ArrayBuffer.isView(v)) {
      visit(v.buffer);
    } else if (Array.isArray(v)) {
      v.forEach(visit);
    } else if (v !== null && typeof v === 'object') {
      Object.values(v).forEach(visit);
    }
  };
  visit(msg);
  return out;
}
