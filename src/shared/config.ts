/**
 * Every hyper-parameter of a dinolab run, as one typed record with presets.
 *
 * Names follow the official `main_dino.py` flags where one exists (camelCased). What each field is
 * called in the form and in the official code, its unit and its rule are described once, in
 * config-fields.ts; validateConfig (below) applies those rules.
 * Pure data: imported by the engine, the worker and the UI alike.
 */
import { CONFIG_FIELDS, LIMITS, getPath, runEpochs, type NumberRule } from './config-fields';

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

/** The limits of the values dinolab accepts live with the field descriptions. */
export { LIMITS } from './config-fields';

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
 * with any fall back to the defaults. Each field's rule is in its description (CONFIG_FIELDS);
 * `datasetSize` (images) adds the whole-run bound.
 */
export function validateConfig(c: RunConfig, datasetSize?: number): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const add = (path: string, message: string | null) => {
    if (message) issues.push({ path, message });
  };
  for (const f of CONFIG_FIELDS) {
    if (!f.rule) continue;
    const rule = typeof f.rule === 'function' ? f.rule(c) : f.rule;
    const v = getPath(c, f.path);
    if (f.kind === 'pair' || f.kind === 'triple') {
      // Each part in range and, for ranges, lo <= hi.
      const parts = v as readonly number[];
      parts.forEach((x, i) => {
        const m = checkNumber(x, rule);
        if (m) add(f.path, `${f.parts?.[i] ?? i + 1}: ${m}`);
      });
      if (f.ordered && parts.every(Number.isFinite) && parts[0] > parts[1]) add(f.path, `min (${parts[0]}) must not exceed max (${parts[1]})`);
      continue;
    }
    const problem = checkNumber(v, rule);
    add(f.path, problem);
    if (!problem) for (const check of f.checks ?? []) add(f.path, check(c, v as number));
  }

  const t = c.train;
  const epochs = runEpochs(c);
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
