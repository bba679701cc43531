/**
 * Every RunConfig field described once: its path, label and help (the form), its unit, its rule
 * (validateConfig), and its name in the official code (facebookresearch/dino): the main_dino.py
 * flag where one exists (the official command line), otherwise the argument or constant that fixes
 * it there. The form, the official command line, the validation and the conversions from official
 * (snake_case) records all read this list; nothing else restates a field.
 *
 * Pure data and small pure helpers: imported by the engine, the worker, the UI and the scripts.
 */
import type { RunConfig } from './config';

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

/** The range of a number (each part of a pair or triple). */
export interface NumberRule {
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

export type FieldKind = 'int' | 'number' | 'bool' | 'pair' | 'triple';

/** Where the official code sets a field. */
export type Official =
  /** A flag of main_dino.py (`--${flag}`); the flag is also the field's official name. */
  | { flag: string }
  /** No flag: the official name of the value (absent where there is none) and what fixes it. */
  | { name?: string; fixedIn: string };

export interface ConfigField {
  /** Dotted path into RunConfig, e.g. "train.lr". */
  path: string;
  /** The form's label, also the field's name in messages and notes. */
  label: string;
  /** One line for the form: what the value does. */
  help: string;
  kind: FieldKind;
  /** Unit of the value, where it has one. */
  unit?: 'px' | 'epochs' | 'steps' | 'images' | 'turns';
  /** Input step of number fields (arrow keys). */
  step?: number;
  /** Names of the parts of a pair or triple. */
  parts?: string[];
  /** The range of the value (of each part), or the range given the rest of the config. */
  rule?: NumberRule | ((c: RunConfig) => NumberRule);
  /** A pair that is a range: its min must not exceed its max. */
  ordered?: boolean;
  /** Rules that involve other fields, checked once the value is in its range; each returns the
   *  problem or null. */
  checks?: ((c: RunConfig, value: number) => string | null)[];
  /** The official code's name and place for it; null for dinolab's own (browser-only) fields. */
  official: Official | null;
}


const prob: NumberRule = { min: 0, max: 1 };
const temp: NumberRule = { min: LIMITS.minTemp, max: LIMITS.maxTemp };
const lr: NumberRule = { min: 0, max: LIMITS.maxLr, why: 'the peak lr must stay a finite float32' };
const MIN_MAX = ['min', 'max'];
const RGB = ['R', 'G', 'B'];

/** The run's epochs when they are valid, else Infinity (bounds that depend on them then lapse). */
export function runEpochs(c: RunConfig): number {
  const e = c.train.epochs;
  return Number.isInteger(e) && e >= 1 && e <= LIMITS.maxEpochs ? e : Infinity;
}

/** A crop or image side: a whole number of patches. */
function patchSized(max: number): Pick<ConfigField, 'rule' | 'checks'> {
  const patch = (c: RunConfig) => (Number.isInteger(c.model.patchSize) && c.model.patchSize >= 1 ? c.model.patchSize : null);
  return {
    rule: (c) => ({ min: patch(c) ?? 1, max, int: true }),
    checks: [(c, v) => (patch(c) !== null && v % patch(c)! !== 0 ? `must be a multiple of the patch size (${patch(c)}), got ${v}` : null)],
  };
}

/** A length in epochs within the run: the official cosine_scheduler asserts its length, so
 *  warm-ups longer than the run cannot work. */
const withinRun = (c: RunConfig): NumberRule => {
  const epochs = runEpochs(c);
  return { min: 0, max: Math.min(epochs, LIMITS.maxEpochs), int: true, why: epochs < Infinity ? 'at most the epochs' : undefined };
};

const AUG = 'hard-coded in DataAugmentationDINO (main_dino.py)';
const ARCH = 'set by --arch (the vit_* factories of vision_transformer.py)';

/** Every field, in the order validateConfig reports them. */
export const CONFIG_FIELDS: readonly ConfigField[] = [
  // ---- backbone ----------------------------------------------------------------------------
  {
    path: 'model.patchSize', label: 'Patch size', kind: 'int', unit: 'px', rule: { min: 1, max: 64, int: true }, official: { flag: 'patch_size' },
    help: 'Patch side in px. Smaller patches: more tokens, finer attention maps, more compute.',
  },
  {
    path: 'model.embedDim', label: 'Width D', kind: 'int', rule: { min: 1, max: LIMITS.maxEmbedDim, int: true }, official: { name: 'embed_dim', fixedIn: ARCH },
    help: 'Token width: 192 tiny, 384 small, 768 base.',
  },
  {
    path: 'model.depth', label: 'Depth', kind: 'int', rule: { min: 1, max: LIMITS.maxDepth, int: true }, official: { name: 'depth', fixedIn: ARCH },
    help: 'Number of transformer blocks.',
  },
  {
    path: 'model.numHeads', label: 'Heads', kind: 'int', rule: { min: 1, max: LIMITS.maxEmbedDim, int: true }, official: { name: 'num_heads', fixedIn: ARCH },
    checks: [(c, h) => (Number.isInteger(c.model.embedDim) && c.model.embedDim % h !== 0 ? `the width D (${c.model.embedDim}) must be divisible by the number of heads (${h})` : null)],
    help: 'Attention heads per block (D must divide evenly); one map each in the inspector.',
  },
  {
    path: 'model.mlpRatio', label: 'MLP ratio', kind: 'number', step: 0.5, rule: { min: 0, max: 16, minOpen: true }, official: { name: 'mlp_ratio', fixedIn: ARCH },
    checks: [(c, r) => (Number.isInteger(r * c.model.embedDim) ? null : `ratio x D (${r} x ${c.model.embedDim}) must be a whole number of units`)],
    help: 'MLP hidden width = ratio × D.',
  },
  {
    path: 'model.qkvBias', label: 'qkv bias', kind: 'bool', official: { name: 'qkv_bias', fixedIn: ARCH },
    help: 'Bias on the query/key/value projection.',
  },
  {
    path: 'model.lnEps', label: 'LayerNorm ε', kind: 'number', step: 1e-6, rule: { min: 0, max: 1e-2, minOpen: true }, official: { name: 'ln_eps', fixedIn: ARCH },
    help: "1e-6 in the official ViTs (not PyTorch's 1e-5 default); needed to load their weights exactly.",
  },
  // ---- projection head ---------------------------------------------------------------------
  {
    path: 'head.outDim', label: 'Prototypes K', kind: 'int', rule: { min: 1, max: LIMITS.maxOutDim, int: true }, official: { flag: 'out_dim' },
    help: 'Width of the softmax teacher and student match; ln K is the entropy of a uniform output.',
  },
  {
    path: 'head.hiddenDim', label: 'Hidden width', kind: 'int', rule: { min: 1, max: LIMITS.maxHiddenDim, int: true },
    official: { name: 'hidden_dim', fixedIn: "DINOHead's hidden_dim, no flag" },
    help: 'Width of the head MLP layers.',
  },
  {
    path: 'head.bottleneckDim', label: 'Bottleneck width', kind: 'int', rule: { min: 1, max: LIMITS.maxHiddenDim, int: true },
    official: { name: 'bottleneck_dim', fixedIn: "DINOHead's bottleneck_dim, no flag" },
    help: 'Width before the L2-normalised, weight-normalised last layer.',
  },
  {
    path: 'head.nlayers', label: 'MLP layers', kind: 'int', rule: { min: 1, max: 8, int: true },
    official: { name: 'nlayers', fixedIn: "DINOHead's nlayers, no flag" },
    help: 'Linear layers before the last layer.',
  },
  {
    path: 'head.normLastLayer', label: 'Freeze weight-norm scale', kind: 'bool', official: { flag: 'norm_last_layer' },
    help: 'Keep the last layer’s weight-norm g at 1: stabilises training (turn off for small ViTs in long runs).',
  },
  // ---- sizes: every one a whole number of patches ------------------------------------------
  {
    path: 'model.imgSize', label: 'Position grid size', kind: 'int', unit: 'px', ...patchSized(LIMITS.maxImgSize),
    official: { name: 'img_size', fixedIn: "VisionTransformer's img_size (both interpolate the position table for other sizes)" },
    help: 'Image side the position table is made for; other sizes are interpolated bicubically.',
  },
  {
    path: 'augment.globalSize', label: 'Global crop size', kind: 'int', unit: 'px', ...patchSized(LIMITS.maxCropSize),
    official: { name: 'global_size', fixedIn: AUG },
    help: 'Side of the two global crops (px); the teacher sees only these.',
  },
  {
    path: 'augment.localSize', label: 'Local crop size', kind: 'int', unit: 'px', ...patchSized(LIMITS.maxCropSize),
    checks: [
      ...patchSized(LIMITS.maxCropSize).checks!,
      (c, v) => (v > c.augment.globalSize ? `must not exceed the global crop size (${c.augment.globalSize}), got ${v}` : null),
    ],
    official: { name: 'local_size', fixedIn: AUG },
    help: 'Side of the small local crops the student also sees (px).',
  },
  // ---- multi-crop and photometric augmentation ---------------------------------------------
  {
    path: 'augment.nLocalCrops', label: 'Local crops', kind: 'int',
    rule: { min: 0, max: LIMITS.maxLocalCrops, int: true, why: 'the paper uses at most 10; each adds a student pass per image' },
    official: { flag: 'local_crops_number' },
    help: 'Number of local crops; local-to-global matching is what multi-crop teaches. 0 disables.',
  },
  {
    path: 'augment.globalScale', label: 'Global crop area', kind: 'pair', step: 0.01, parts: MIN_MAX, rule: { min: 0, max: 1, minOpen: true }, ordered: true,
    official: { flag: 'global_crops_scale' },
    help: 'Fraction of the image area a global crop covers.',
  },
  {
    path: 'augment.localScale', label: 'Local crop area', kind: 'pair', step: 0.01, parts: MIN_MAX, rule: { min: 0, max: 1, minOpen: true }, ordered: true,
    official: { flag: 'local_crops_scale' },
    help: 'Fraction of the image area a local crop covers.',
  },
  {
    path: 'augment.ratio', label: 'Crop aspect ratio', kind: 'pair', step: 0.01, parts: MIN_MAX, rule: { min: 0, max: 10, minOpen: true }, ordered: true,
    official: { name: 'ratio', fixedIn: "torchvision's RandomResizedCrop default" },
    help: 'Aspect-ratio range of the random resized crops.',
  },
  {
    path: 'augment.blurSigma', label: 'Blur σ (px)', kind: 'pair', unit: 'px', step: 0.1, parts: MIN_MAX, rule: { min: 0, max: 20, minOpen: true }, ordered: true,
    official: { name: 'blur_sigma', fixedIn: 'hard-coded in utils.GaussianBlur (radius_min, radius_max)' },
    help: 'Range of the blur radius.',
  },
  {
    path: 'augment.bicubic', label: 'Bicubic resize (PIL)', kind: 'bool', official: { fixedIn: AUG },
    help: 'Resize crops exactly as the official code (PIL bicubic, antialiased when shrinking). Off: bilinear sampling, faster but aliased.',
  },
  {
    path: 'augment.flipP', label: 'Flip probability', kind: 'number', step: 0.05, rule: prob, official: { name: 'flip_p', fixedIn: AUG },
    help: 'Chance of a horizontal flip.',
  },
  {
    path: 'augment.jitterP', label: 'Colour jitter probability', kind: 'number', step: 0.05, rule: prob, official: { name: 'color_jitter_p', fixedIn: AUG },
    help: 'Chance the colour jitter below is applied.',
  },
  {
    path: 'augment.grayscaleP', label: 'Grayscale probability', kind: 'number', step: 0.05, rule: prob, official: { name: 'grayscale_p', fixedIn: AUG },
    help: 'Chance the crop is turned grey.',
  },
  {
    path: 'augment.solarizeP', label: 'Solarize probability', kind: 'number', step: 0.05, rule: prob, official: { name: 'solarize_p', fixedIn: `${AUG}, second global crop` },
    help: 'Chance of solarization, second global crop only.',
  },
  {
    path: 'augment.blurP', label: 'Blur probability', kind: 'triple', step: 0.05, parts: ['global 1', 'global 2', 'local'], rule: prob,
    official: { name: 'blur_p', fixedIn: AUG },
    help: 'Gaussian blur chance per crop kind: asymmetric between the two global crops.',
  },
  {
    path: 'augment.brightness', label: 'Brightness', kind: 'number', step: 0.05, rule: { min: 0, max: 10 }, official: { name: 'brightness', fixedIn: AUG },
    help: 'Jitter strength: factor drawn from [1 − b, 1 + b].',
  },
  {
    path: 'augment.contrast', label: 'Contrast', kind: 'number', step: 0.05, rule: { min: 0, max: 10 }, official: { name: 'contrast', fixedIn: AUG },
    help: 'Jitter strength: factor drawn from [1 − c, 1 + c].',
  },
  {
    path: 'augment.saturation', label: 'Saturation', kind: 'number', step: 0.05, rule: { min: 0, max: 10 }, official: { name: 'saturation', fixedIn: AUG },
    help: 'Jitter strength: factor drawn from [1 − s, 1 + s].',
  },
  {
    path: 'augment.hue', label: 'Hue', kind: 'number', unit: 'turns', step: 0.01, rule: { min: 0, max: 0.5, why: 'a shift of half a turn covers every hue' },
    official: { name: 'hue', fixedIn: AUG },
    help: 'Jitter strength: hue shift drawn from [−h, h] turns.',
  },
  {
    path: 'augment.mean', label: 'Normalise mean', kind: 'triple', step: 0.001, parts: RGB, rule: { min: -10, max: 10 },
    official: { name: 'mean', fixedIn: `${AUG} (ImageNet statistics)` },
    help: 'Per-channel mean subtracted (ImageNet statistics).',
  },
  {
    path: 'augment.std', label: 'Normalise std', kind: 'triple', step: 0.001, parts: RGB, rule: { min: 0, max: 10, minOpen: true },
    official: { name: 'std', fixedIn: `${AUG} (ImageNet statistics)` },
    help: 'Per-channel standard deviation divided by.',
  },
  // ---- optimisation and loss ---------------------------------------------------------------
  {
    path: 'train.epochs', label: 'Epochs', kind: 'int', unit: 'epochs', rule: { min: 1, max: LIMITS.maxEpochs, int: true }, official: { flag: 'epochs' },
    help: 'Passes over the dataset; all schedules span them.',
  },
  {
    path: 'train.batchSize', label: 'Batch size', kind: 'int', unit: 'images', rule: { min: 1, max: LIMITS.maxBatchSize, int: true },
    official: { flag: 'batch_size_per_gpu' },
    help: 'Images per step (fixed shapes; the last partial batch is dropped).',
  },
  {
    path: 'train.warmupEpochs', label: 'Warm-up epochs', kind: 'int', unit: 'epochs', rule: withinRun, official: { flag: 'warmup_epochs' },
    help: 'Linear lr warm-up from 0 to the peak.',
  },
  {
    path: 'train.freezeLastLayer', label: 'Freeze last layer (epochs)', kind: 'int', unit: 'epochs', rule: withinRun, official: { flag: 'freeze_last_layer' },
    help: 'The head’s last layer gets no update at first: stabilises the start.',
  },
  {
    path: 'train.warmupTeacherTempEpochs', label: 'Teacher temp warm-up (epochs)', kind: 'int', unit: 'epochs', rule: withinRun,
    official: { flag: 'warmup_teacher_temp_epochs' },
    help: 'Linear warm-up length of the teacher temperature.',
  },
  {
    path: 'train.lr', label: 'Base learning rate', kind: 'number', step: 0.0001, rule: lr, official: { flag: 'lr' },
    help: 'At batch 256; the peak lr is lr × batch / 256 after the warm-up.',
  },
  {
    path: 'train.minLr', label: 'Final learning rate', kind: 'number', step: 1e-6, rule: lr, official: { flag: 'min_lr' },
    help: 'Where the cosine decay ends.',
  },
  {
    path: 'train.weightDecay', label: 'Weight decay (start)', kind: 'number', step: 0.01, rule: { min: 0, max: 10 }, official: { flag: 'weight_decay' },
    help: 'Decoupled weight decay, rising by cosine…',
  },
  {
    path: 'train.weightDecayEnd', label: 'Weight decay (end)', kind: 'number', step: 0.01, rule: { min: 0, max: 10 }, official: { flag: 'weight_decay_end' },
    help: '…to this value; a larger end value helps ViTs.',
  },
  {
    path: 'train.momentumTeacher', label: 'Teacher momentum', kind: 'number', step: 0.001, rule: prob, official: { flag: 'momentum_teacher' },
    help: 'EMA momentum of the teacher at the start; rises to 1 by cosine.',
  },
  {
    path: 'train.centerMomentum', label: 'Center momentum', kind: 'number', step: 0.01, rule: prob,
    official: { name: 'center_momentum', fixedIn: "DINOLoss's center_momentum, no flag" },
    help: 'EMA momentum of the teacher-output center. Lower = stronger centering.',
  },
  {
    path: 'train.clipGrad', label: 'Gradient clip', kind: 'number', step: 0.5, rule: { min: 0, max: 1e6 }, official: { flag: 'clip_grad' },
    help: 'Per-parameter gradient-norm clip; 0 disables.',
  },
  {
    path: 'train.dropPathRate', label: 'Drop path', kind: 'number', step: 0.05, rule: { min: 0, max: 1, maxOpen: true }, official: { flag: 'drop_path_rate' },
    help: 'Stochastic depth on the student (the teacher never drops).',
  },
  {
    path: 'train.warmupTeacherTemp', label: 'Teacher temp (warm-up start)', kind: 'number', step: 0.01, rule: temp, official: { flag: 'warmup_teacher_temp' },
    help: 'Teacher temperature at epoch 0…',
  },
  {
    path: 'train.teacherTemp', label: 'Teacher temperature', kind: 'number', step: 0.01, rule: temp, official: { flag: 'teacher_temp' },
    help: '…after the warm-up. Lower = sharper teacher targets (prevents uniform collapse).',
  },
  {
    path: 'train.studentTemp', label: 'Student temperature', kind: 'number', step: 0.01, rule: temp,
    official: { name: 'student_temp', fixedIn: "DINOLoss's student_temp, no flag" },
    help: 'Softmax temperature of the student.',
  },
  {
    path: 'train.centering', label: 'Centering', kind: 'bool', official: { fixedIn: 'no flag; remove "- self.center" from the teacher logits in DINOLoss.forward' },
    help: 'Subtract the running center from teacher logits (prevents one-dimension collapse).',
  },
  {
    path: 'train.sharpening', label: 'Sharpening', kind: 'bool', official: { fixedIn: 'the teacher temperature flags (set them to the student temperature)' },
    help: 'Use the teacher temperature; off = teacher uses the student temperature.',
  },
  // ---- cadence: dinolab's own ----------------------------------------------------------------
  {
    path: 'train.metricsEvery', label: 'Metrics every (steps)', kind: 'int', unit: 'steps', rule: { min: 1, max: 10_000, int: true }, official: null,
    help: 'Read metrics back from the device every N steps (each read drains the GPU queue).',
  },
  {
    path: 'train.checkpointEvery', label: 'Checkpoint every (steps)', kind: 'int', unit: 'steps', rule: { min: 1, max: LIMITS.maxTotalSteps, int: true },
    official: null,
    help: 'Automatic checkpoint in the browser, for resume and roll-back.',
  },
  {
    path: 'seed', label: 'Seed', kind: 'int', rule: { min: 0, max: 2 ** 32 - 1, int: true }, official: { flag: 'seed' },
    help: 'Seeds init, crops, augmentation and drop path: same seed, same run.',
  },
];

const BY_PATH = new Map(CONFIG_FIELDS.map((f) => [f.path, f]));

/** The description of a config path; undefined for a path that is no field. */
export function configField(path: string): ConfigField | undefined {
  return BY_PATH.get(path);
}

/** A field's name in the official code: its main_dino.py flag, or the name of what fixes it. */
export function officialName(f: ConfigField): string | undefined {
  if (!f.official) return undefined;
  return 'flag' in f.official ? f.official.flag : f.official.name;
}

export function getPath(config: RunConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
}

/** A copy of `config` with the value at `path` replaced (structural sharing elsewhere). */
export function setPath(config: RunConfig, path: string, value: unknown): RunConfig {
  const keys = path.split('.');
  const rec = (o: Record<string, unknown>, i: number): Record<string, unknown> => ({
    ...o,
    [keys[i]]: i === keys.length - 1 ? value : rec(o[keys[i]] as Record<string, unknown>, i + 1),
  });
  return rec(config as unknown as Record<string, unknown>, 0) as unknown as RunConfig;
}

type Section = 'model' | 'head' | 'augment' | 'train';

/**
 * One section of a RunConfig read from a record keyed by the official names (main_dino.py flags,
 * the arguments of the official classes): a reference case's manifest, a benchmark definition.
 * `names` renames a field where the record uses another key (null: the record has none);
 * `defaults` fills fields the record lacks. Throws naming every field it cannot fill.
 */
export function fromOfficial<S extends Section>(
  section: S,
  record: Record<string, unknown>,
  { names = {}, defaults = {} }: { names?: Partial<Record<keyof RunConfig[S], string | null>>; defaults?: Partial<RunConfig[S]> } = {},
): RunConfig[S] {
  const out: Record<string, unknown> = { ...defaults };
  const missing: string[] = [];
  for (const f of CONFIG_FIELDS) {
    const [head, key] = f.path.split('.');
    if (head !== section) continue;
    const name = key in names ? names[key as keyof RunConfig[S]] : officialName(f);
    if (name && name in record) out[key] = record[name];
    else if (!(key in out)) missing.push(name ? `${name} (${f.path})` : f.path);
  }
  if (missing.length) throw new Error(`no value for ${missing.join(', ')}`);
  return out as unknown as RunConfig[S];
}
