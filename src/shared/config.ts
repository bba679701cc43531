/**
 * Every hyper-parameter of a dinolab run, as one typed record with presets.
 *
 * Names follow the official `main_dino.py` flags where one exists (camelCased), so a run maps onto
 * the official command line field by field (see `officialCommandLine` in src/ui/official-cli.ts).
 * Pure data: imported by the engine, the worker and the UI alike.
 */

/** Vision Transformer backbone (official `vision_transformer.py`). */
export interface ViTConfig {
  /** Patch side in pixels (8 or 16 for the released models). */
  patchSize: number;
  /** Side of the square image the position table was made for (224 for the released models;
   *  the global crop size when training from scratch). Other sizes are bicubically interpolated. */
  imgSize: number;
  /** Token width D (192 tiny, 384 small, 768 base). */
  embedDim: number;
  /** Number of transformer blocks (12 for the released models). */
  depth: number;
  /** Attention heads; D must be divisible by it (head dim 64 in the released models). */
  numHeads: number;
  /** MLP hidden width = mlpRatio * D (4 everywhere in DINO). */
  mlpRatio: number;
  /** Bias on the qkv projection (true in DINO). */
  qkvBias: boolean;
  /** LayerNorm epsilon: 1e-6 in the official vit_* factories (not torch's 1e-5 default). */
  lnEps: number;
}

/** DINO projection head (official `DINOHead`). */
export interface HeadConfig {
  /** K, the number of prototypes (65536 official; a few hundred to thousands in the browser). */
  outDim: number;
  /** Width of the hidden MLP layers (2048 official). */
  hiddenDim: number;
  /** Width before the weight-normalised last layer (256 official). */
  bottleneckDim: number;
  /** Number of Linear layers before the last layer (3 official). */
  nlayers: number;
  /** Freeze the weight-norm scale g at 1 (official default true: stabilises training). */
  normLastLayer: boolean;
}

/** Multi-crop augmentation (official `DataAugmentationDINO`). Probabilities are in [0, 1]. */
export interface AugmentConfig {
  /** Side of the two global crops in pixels (224 official). */
  globalSize: number;
  /** Side of the local crops in pixels (96 official). */
  localSize: number;
  /** Number of local crops (8 official; 0 disables multi-crop). */
  nLocalCrops: number;
  /** Area fraction range of global crops (0.4, 1 official). */
  globalScale: [number, number];
  /** Area fraction range of local crops (0.05, 0.4 official). */
  localScale: [number, number];
  /** Aspect-ratio range of random resized crops (3/4, 4/3 torchvision). */
  ratio: [number, number];
  /** Horizontal flip probability (0.5). */
  flipP: number;
  /** Probability that colour jitter is applied (0.8). */
  jitterP: number;
  /** Jitter strengths (torchvision ColorJitter arguments): 0.4, 0.4, 0.2, 0.1. */
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
  /** Random grayscale probability (0.2). */
  grayscaleP: number;
  /** Gaussian blur probability for global crop 1, global crop 2, local crops (1.0, 0.1, 0.5). */
  blurP: [number, number, number];
  /** Blur sigma range in pixels (0.1, 2.0 official). */
  blurSigma: [number, number];
  /** Solarization probability, second global crop only (0.2). */
  solarizeP: number;
  /** Resize crops with PIL's bicubic, antialiased when shrinking, as the official code does (true),
   *  or with bilinear sampling (false: faster, aliased when shrinking). Absent in configs saved
   *  before this option, which mean bilinear. */
  bicubic?: boolean;
  /** Per-channel normalisation (ImageNet mean/std). */
  mean: [number, number, number];
  std: [number, number, number];
}

/** Optimisation and DINO loss (official `main_dino.py` flags). */
export interface TrainConfig {
  /** Epochs to train (100 official; browser runs are short). */
  epochs: number;
  /** Images per step (64 per GPU official). Fixed; the last partial batch is dropped. */
  batchSize: number;
  /** Base learning rate at batch 256; the peak is lr * batchSize / 256 (0.0005 official). */
  lr: number;
  /** Final learning rate of the cosine (1e-6). */
  minLr: number;
  /** Linear lr warm-up length in epochs (10 official). */
  warmupEpochs: number;
  /** Weight decay at start and end of its cosine (0.04 -> 0.4). */
  weightDecay: number;
  weightDecayEnd: number;
  /** Teacher EMA momentum at start; it rises to 1 by cosine (0.996). */
  momentumTeacher: number;
  /** Per-parameter gradient-norm clip (3.0); 0 disables clipping. */
  clipGrad: number;
  /** Epochs during which the head's last layer gets no update (1). */
  freezeLastLayer: number;
  /** Teacher temperature warm-up: from warmupTeacherTemp to teacherTemp over the given epochs. */
  warmupTeacherTemp: number;
  teacherTemp: number;
  warmupTeacherTempEpochs: number;
  /** Student temperature (0.1). */
  studentTemp: number;
  /** Momentum of the teacher-output center (0.9). */
  centerMomentum: number;
  /** Stochastic depth rate on the student (0.1 official); the teacher never drops. */
  dropPathRate: number;
  /** Subtract the running center from teacher logits (the paper's collapse study turns it off). */
  centering: boolean;
  /** Use the teacher temperature; off means teacher temperature = student temperature. */
  sharpening: boolean;
  /** Steps between metric read-backs from the device (reading back drains the GPU queue). */
  metricsEvery: number;
  /** Steps between automatic checkpoints saved in the browser. */
  checkpointEvery: number;
}

export interface RunConfig {
  model: ViTConfig;
  head: HeadConfig;
  augment: AugmentConfig;
  train: TrainConfig;
  /** Seed of every random choice of the run (init, crops, augmentation, drop path). */
  seed: number;
}

export const IMAGENET_MEAN: [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: [number, number, number] = [0.229, 0.224, 0.225];

export const defaultAugment: AugmentConfig = {
  globalSize: 224,
  localSize: 96,
  nLocalCrops: 8,
  globalScale: [0.4, 1],
  localScale: [0.05, 0.4],
  ratio: [3 / 4, 4 / 3],
  flipP: 0.5,
  jitterP: 0.8,
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.2,
  hue: 0.1,
  grayscaleP: 0.2,
  blurP: [1.0, 0.1, 0.5],
  blurSigma: [0.1, 2.0],
  solarizeP: 0.2,
  bicubic: true,
  mean: IMAGENET_MEAN,
  std: IMAGENET_STD,
};

export const defaultTrain: TrainConfig = {
  epochs: 100,
  batchSize: 64,
  lr: 0.0005,
  minLr: 1e-6,
  warmupEpochs: 10,
  weightDecay: 0.04,
  weightDecayEnd: 0.4,
  momentumTeacher: 0.996,
  clipGrad: 3.0,
  freezeLastLayer: 1,
  warmupTeacherTemp: 0.04,
  teacherTemp: 0.04,
  warmupTeacherTempEpochs: 0,
  studentTemp: 0.1,
  centerMomentum: 0.9,
  dropPathRate: 0.1,
  centering: true,
  sharpening: true,
  metricsEvery: 5,
  checkpointEvery: 50,
};

const vit = (embedDim: number, numHeads: number, patchSize: number, depth = 12): ViTConfig => ({
  patchSize,
  imgSize: 224,
  embedDim,
  depth,
  numHeads,
  mlpRatio: 4,
  qkvBias: true,
  lnEps: 1e-6,
});

/** Backbones of the official released checkpoints (and the two browser-sized ones). */
export const modelPresets = {
  /** Trains from scratch in seconds per step even on CPU fallbacks. */
  nano: { ...vit(64, 4, 8, 4), imgSize: 32 },
  /** Small enough for a laptop GPU at 64 px crops. */
  tiny: { ...vit(192, 3, 8, 6), imgSize: 64 },
  'vit-tiny-16': vit(192, 3, 16),
  'vit-small-16': vit(384, 6, 16),
  'vit-small-8': vit(384, 6, 8),
  'vit-base-16': vit(768, 12, 16),
  'vit-base-8': vit(768, 12, 8),
} satisfies Record<string, ViTConfig>;
export type ModelPresetName = keyof typeof modelPresets;

/** Run presets: whole RunConfigs a person can start from. */
export const runPresets: Record<'nano' | 'tiny' | 'finetune' | 'official', RunConfig> = {
  nano: {
    model: modelPresets.nano,
    head: { outDim: 256, hiddenDim: 256, bottleneckDim: 64, nlayers: 3, normLastLayer: true },
    // Bilinear crops: PIL's bicubic reads the whole letterbox canvas per crop, exact but about 1.5x
    // the step time of a model this small when photos sit beside small images (npm run bench:crops;
    // for tiny it is a few per cent).
    augment: { ...defaultAugment, globalSize: 32, localSize: 16, nLocalCrops: 2, blurSigma: [0.1, 0.5], bicubic: false },
    train: { ...defaultTrain, epochs: 20, batchSize: 16, warmupEpochs: 2, warmupTeacherTempEpochs: 0 },
    seed: 0,
  },
  tiny: {
    model: modelPresets.tiny,
    head: { outDim: 1024, hiddenDim: 512, bottleneckDim: 128, nlayers: 3, normLastLayer: true },
    augment: { ...defaultAugment, globalSize: 64, localSize: 32, nLocalCrops: 4, blurSigma: [0.1, 1.0] },
    train: { ...defaultTrain, epochs: 30, batchSize: 32, warmupEpochs: 3 },
    seed: 0,
  },
  /** Fine-tune loaded weights: small lr, no warm-up of the freshly initialised head's last layer. */
  finetune: {
    model: modelPresets['vit-small-16'],
    head: { outDim: 4096, hiddenDim: 1024, bottleneckDim: 256, nlayers: 3, normLastLayer: true },
    augment: { ...defaultAugment, globalSize: 96, localSize: 48, nLocalCrops: 2 },
    train: { ...defaultTrain, epochs: 5, batchSize: 8, lr: 0.00005, warmupEpochs: 1, momentumTeacher: 0.996 },
    seed: 0,
  },
  /** The paper's ViT-S/16 recipe, for export to `main_dino.py`; far too big for a browser. */
  official: {
    model: modelPresets['vit-small-16'],
    head: { outDim: 65536, hiddenDim: 2048, bottleneckDim: 256, nlayers: 3, normLastLayer: true },
    augment: defaultAugment,
    train: { ...defaultTrain, teacherTemp: 0.07, warmupTeacherTempEpochs: 30 },
    seed: 0,
  },
};

/** One problem with a config: the field it belongs to (a dotted RunConfig path) and what is wrong. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Limits of the values dinolab accepts. Each follows from memory, time or the maths, not taste:
 * a value past one either cannot be computed or would stall the page long before it finished.
 */
export const LIMITS = {
  /** Epochs: the official runs use 100 to 800. */
  maxEpochs: 1000,
  /** Iterations of a whole run (epochs x steps per epoch): the three per-step schedules are
   *  precomputed and plotted (3 x 8 MB at this bound), and even at 0.1 s a step it is 28 hours. */
  maxTotalSteps: 1_000_000,
  /** Local crops: the paper uses at most 10. Each one adds a student forward and backward pass
   *  per image, so step time and activation memory grow linearly with it. */
  maxLocalCrops: 16,
  /** Crop side in px: a 512 px crop at patch 8 already has 4097 tokens, whose N x N attention
   *  per head is 67 MB in float32. */
  maxCropSize: 512,
  maxImgSize: 1024,
  maxBatchSize: 1024,
  maxEmbedDim: 2048,
  maxDepth: 48,
  /** K: the official 65536 is the largest the paper uses. */
  maxOutDim: 65536,
  maxHiddenDim: 8192,
  /** Learning rates: the official base lr is 5e-4 and above about 1 training diverges, but a
   *  diverging run is a lesson the app handles (pause, roll back), so the bound is only that the
   *  peak lr (lr x batch / 256, batch <= 1024) stays a finite float32 on the device. */
  maxLr: 1e37,
  /** Temperatures divide the logits: below 1e-3 a softmax of unit-range logits overflows float32. */
  minTemp: 1e-3,
  maxTemp: 10,
} as const;

interface NumberRule {
  min: number;
  max: number;
  /** A whole number. */
  int?: boolean;
  /** The bounds themselves are excluded. */
  minOpen?: boolean;
  maxOpen?: boolean;
  /** A short reason appended to the message, e.g. "the paper uses at most 10". */
  why?: string;
}

function checkNumber(v: unknown, rule: NumberRule): string | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return `not a number (got ${String(v)})`;
  const lo = rule.minOpen ? v > rule.min : v >= rule.min;
  const hi = rule.maxOpen ? v < rule.max : v <= rule.max;
  if (rule.int && !Number.isInteger(v)) return `must be a whole number (got ${v})`;
  if (lo && hi) return null;
  const range = `${rule.minOpen ? '(' : '['}${rule.min}, ${rule.max}${rule.maxOpen ? ')' : ']'}`;
  return `must be in ${range}${rule.why ? ` (${rule.why})` : ''}, got ${v}`;
}

/**
 * Every problem with a config, each filed under the field it belongs to; empty when the config is
 * usable. This is the one validation of everything that reaches the engine or a chart: the form
 * shows each message beside its field, the worker refuses a config with any, and stored settings
 * with any fall back to the defaults. `datasetSize` (images) adds the whole-run bound.
 */
export function validateConfig(c: RunConfig, datasetSize?: number): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string | null) => {
    if (message) issues.push({ path, message });
  };
  const num = (path: string, v: unknown, rule: NumberRule) => add(path, checkNumber(v, rule));
  /** A [lo, hi] pair (or a triple) with each part in range and, for ranges, lo <= hi. */
  const parts = (path: string, v: readonly number[], rule: NumberRule, names: string[], ordered: boolean) => {
    v.forEach((x, i) => {
      const m = checkNumber(x, rule);
      if (m) add(path, `${names[i]}: ${m}`);
    });
    if (ordered && v.every(Number.isFinite) && v[0] > v[1]) add(path, `min (${v[0]}) must not exceed max (${v[1]})`);
  };

  // ---- backbone and head ----------------------------------------------------------------
  const m = c.model;
  num('model.patchSize', m.patchSize, { min: 1, max: 64, int: true });
  num('model.embedDim', m.embedDim, { min: 1, max: LIMITS.maxEmbedDim, int: true });
  num('model.depth', m.depth, { min: 1, max: LIMITS.maxDepth, int: true });
  num('model.numHeads', m.numHeads, { min: 1, max: LIMITS.maxEmbedDim, int: true });
  if (Number.isInteger(m.embedDim) && Number.isInteger(m.numHeads) && m.numHeads > 0 && m.embedDim % m.numHeads !== 0) {
    add('model.numHeads', `the width D (${m.embedDim}) must be divisible by the number of heads (${m.numHeads})`);
  }
  num('model.mlpRatio', m.mlpRatio, { min: 0, max: 16, minOpen: true });
  if (Number.isFinite(m.mlpRatio) && !Number.isInteger(m.mlpRatio * m.embedDim)) {
    add('model.mlpRatio', `ratio x D (${m.mlpRatio} x ${m.embedDim}) must be a whole number of units`);
  }
  num('model.lnEps', m.lnEps, { min: 0, max: 1e-2, minOpen: true });
  const h = c.head;
  num('head.outDim', h.outDim, { min: 1, max: LIMITS.maxOutDim, int: true });
  num('head.hiddenDim', h.hiddenDim, { min: 1, max: LIMITS.maxHiddenDim, int: true });
  num('head.bottleneckDim', h.bottleneckDim, { min: 1, max: LIMITS.maxHiddenDim, int: true });
  num('head.nlayers', h.nlayers, { min: 1, max: 8, int: true });

  // ---- crops: every size a whole number of patches --------------------------------------
  const a = c.augment;
  const patchOk = Number.isInteger(m.patchSize) && m.patchSize >= 1;
  const sized = (path: string, v: number, max: number) => {
    const e = checkNumber(v, { min: patchOk ? m.patchSize : 1, max, int: true });
    if (e) add(path, e);
    else if (patchOk && v % m.patchSize !== 0) add(path, `must be a multiple of the patch size (${m.patchSize}), got ${v}`);
  };
  sized('model.imgSize', m.imgSize, LIMITS.maxImgSize);
  sized('augment.globalSize', a.globalSize, LIMITS.maxCropSize);
  sized('augment.localSize', a.localSize, LIMITS.maxCropSize);
  if (a.localSize > a.globalSize) add('augment.localSize', `must not exceed the global crop size (${a.globalSize}), got ${a.localSize}`);
  num('augment.nLocalCrops', a.nLocalCrops, { min: 0, max: LIMITS.maxLocalCrops, int: true, why: 'the paper uses at most 10; each adds a student pass per image' });
  const minMax = ['min', 'max'];
  parts('augment.globalScale', a.globalScale, { min: 0, max: 1, minOpen: true }, minMax, true);
  parts('augment.localScale', a.localScale, { min: 0, max: 1, minOpen: true }, minMax, true);
  parts('augment.ratio', a.ratio, { min: 0, max: 10, minOpen: true }, minMax, true);
  parts('augment.blurSigma', a.blurSigma, { min: 0, max: 20, minOpen: true }, minMax, true);
  const prob: NumberRule = { min: 0, max: 1 };
  for (const k of ['flipP', 'jitterP', 'grayscaleP', 'solarizeP'] as const) num(`augment.${k}`, a[k], prob);
  parts('augment.blurP', a.blurP, prob, ['global 1', 'global 2', 'local'], false);
  for (const k of ['brightness', 'contrast', 'saturation'] as const) num(`augment.${k}`, a[k], { min: 0, max: 10 });
  num('augment.hue', a.hue, { min: 0, max: 0.5, why: 'a shift of half a turn covers every hue' });
  parts('augment.mean', a.mean, { min: -10, max: 10 }, ['R', 'G', 'B'], false);
  parts('augment.std', a.std, { min: 0, max: 10, minOpen: true }, ['R', 'G', 'B'], false);

  // ---- optimisation and loss --------------------------------------------------------------
  const t = c.train;
  num('train.epochs', t.epochs, { min: 1, max: LIMITS.maxEpochs, int: true });
  num('train.batchSize', t.batchSize, { min: 1, max: LIMITS.maxBatchSize, int: true });
  const epochs = Number.isInteger(t.epochs) && t.epochs >= 1 && t.epochs <= LIMITS.maxEpochs ? t.epochs : Infinity;
  // The official cosine_scheduler asserts its length: warm-ups longer than the run cannot work.
  const withinRun = (path: string, v: number) =>
    num(path, v, { min: 0, max: Math.min(epochs, LIMITS.maxEpochs), int: true, why: epochs < Infinity ? 'at most the epochs' : undefined });
  withinRun('train.warmupEpochs', t.warmupEpochs);
  withinRun('train.freezeLastLayer', t.freezeLastLayer);
  withinRun('train.warmupTeacherTempEpochs', t.warmupTeacherTempEpochs);
  const lrRule: NumberRule = { min: 0, max: LIMITS.maxLr, why: 'the peak lr must stay a finite float32' };
  num('train.lr', t.lr, lrRule);
  num('train.minLr', t.minLr, lrRule);
  num('train.weightDecay', t.weightDecay, { min: 0, max: 10 });
  num('train.weightDecayEnd', t.weightDecayEnd, { min: 0, max: 10 });
  num('train.momentumTeacher', t.momentumTeacher, prob);
  num('train.centerMomentum', t.centerMomentum, prob);
  num('train.clipGrad', t.clipGrad, { min: 0, max: 1e6 });
  num('train.dropPathRate', t.dropPathRate, { min: 0, max: 1, maxOpen: true });
  const temp: NumberRule = { min: LIMITS.minTemp, max: LIMITS.maxTemp };
  num('train.warmupTeacherTemp', t.warmupTeacherTemp, temp);
  num('train.teacherTemp', t.teacherTemp, temp);
  num('train.studentTemp', t.studentTemp, temp);
  num('train.metricsEvery', t.metricsEvery, { min: 1, max: 10_000, int: true });
  num('train.checkpointEvery', t.checkpointEvery, { min: 1, max: LIMITS.maxTotalSteps, int: true });
  num('seed', c.seed, { min: 0, max: 2 ** 32 - 1, int: true });

  if (datasetSize !== undefined && Number.isInteger(t.batchSize) && t.batchSize >= 1 && epochs < Infinity) {
    const total = epochs * Math.floor(datasetSize / t.batchSize);
    if (total > LIMITS.maxTotalSteps) {
      add('train.epochs', `${epochs} epochs of ${Math.floor(datasetSize / t.batchSize)} steps is ${total} steps; a run is limited to ${LIMITS.maxTotalSteps}`);
    }
  }
  return issues;
}

/** Issues as one line, each prefixed with its field (for errors thrown outside the form). */
export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join('; ');
}
