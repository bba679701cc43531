/**
 * The training form's description of every RunConfig field: group, label, input kind, and a
 * one-line explanation. The "paper" value shown next to each field is read from the official
 * preset (the ViT-S/16 recipe of facebookresearch/dino), so it cannot drift from config.ts.
 */
import { runPresets, type ConfigIssue, type RunConfig } from '../shared/config';

export type FieldKind = 'int' | 'number' | 'bool' | 'pair' | 'triple';

export interface FieldSpec {
  /** Dotted path into RunConfig, e.g. "train.lr". */
  path: string;
  label: string;
  kind: FieldKind;
  help: string;
  /** Input step for number fields. */
  step?: number;
  /** Sub-labels for pair/triple fields. */
  parts?: string[];
}

export interface FieldGroup {
  id: 'model' | 'head' | 'augment' | 'optim' | 'loss' | 'run';
  title: string;
  fields: FieldSpec[];
}

export const FIELD_GROUPS: FieldGroup[] = [
  {
    id: 'model',
    title: 'Model (ViT backbone)',
    fields: [
      { path: 'model.patchSize', label: 'Patch size', kind: 'int', help: 'Patch side in px. Smaller patches: more tokens, finer attention maps, more compute.' },
      { path: 'model.imgSize', label: 'Position grid size', kind: 'int', help: 'Image side the position table is made for; other sizes are interpolated bicubically.' },
      { path: 'model.embedDim', label: 'Width D', kind: 'int', help: 'Token width: 192 tiny, 384 small, 768 base.' },
      { path: 'model.depth', label: 'Depth', kind: 'int', help: 'Number of transformer blocks.' },
      { path: 'model.numHeads', label: 'Heads', kind: 'int', help: 'Attention heads per block (D must divide evenly); one map each in the inspector.' },
      { path: 'model.mlpRatio', label: 'MLP ratio', kind: 'number', step: 0.5, help: 'MLP hidden width = ratio × D.' },
      { path: 'model.qkvBias', label: 'qkv bias', kind: 'bool', help: 'Bias on the query/key/value projection.' },
      { path: 'model.lnEps', label: 'LayerNorm ε', kind: 'number', step: 1e-6, help: "1e-6 in the official ViTs (not PyTorch's 1e-5 default); needed to load their weights exactly." },
    ],
  },
  {
    id: 'head',
    title: 'Projection head',
    fields: [
      { path: 'head.outDim', label: 'Prototypes K', kind: 'int', help: 'Width of the softmax teacher and student match; ln K is the entropy of a uniform output.' },
      { path: 'head.hiddenDim', label: 'Hidden width', kind: 'int', help: 'Width of the head MLP layers.' },
      { path: 'head.bottleneckDim', label: 'Bottleneck width', kind: 'int', help: 'Width before the L2-normalised, weight-normalised last layer.' },
      { path: 'head.nlayers', label: 'MLP layers', kind: 'int', help: 'Linear layers before the last layer.' },
      { path: 'head.normLastLayer', label: 'Freeze weight-norm scale', kind: 'bool', help: 'Keep the last layer’s weight-norm g at 1: stabilises training (turn off for small ViTs in long runs).' },
    ],
  },
  {
    id: 'augment',
    title: 'Augmentation (multi-crop)',
    fields: [
      { path: 'augment.globalSize', label: 'Global crop size', kind: 'int', help: 'Side of the two global crops (px); the teacher sees only these.' },
      { path: 'augment.localSize', label: 'Local crop size', kind: 'int', help: 'Side of the small local crops the student also sees (px).' },
      { path: 'augment.nLocalCrops', label: 'Local crops', kind: 'int', help: 'Number of local crops; local-to-global matching is what multi-crop teaches. 0 disables.' },
      { path: 'augment.globalScale', label: 'Global crop area', kind: 'pair', step: 0.01, parts: ['min', 'max'], help: 'Fraction of the image area a global crop covers.' },
      { path: 'augment.localScale', label: 'Local crop area', kind: 'pair', step: 0.01, parts: ['min', 'max'], help: 'Fraction of the image area a local crop covers.' },
      { path: 'augment.ratio', label: 'Crop aspect ratio', kind: 'pair', step: 0.01, parts: ['min', 'max'], help: 'Aspect-ratio range of the random resized crops.' },
      { path: 'augment.bicubic', label: 'Bicubic resize (PIL)', kind: 'bool', help: 'Resize crops exactly as the official code (PIL bicubic, antialiased when shrinking). Off: bilinear sampling, faster but aliased.' },
      { path: 'augment.flipP', label: 'Flip probability', kind: 'number', step: 0.05, help: 'Chance of a horizontal flip.' },
      { path: 'augment.jitterP', label: 'Colour jitter probability', kind: 'number', step: 0.05, help: 'Chance the colour jitter below is applied.' },
      { path: 'augment.brightness', label: 'Brightness', kind: 'number', step: 0.05, help: 'Jitter strength: factor drawn from [1 − b, 1 + b].' },
      { path: 'augment.contrast', label: 'Contrast', kind: 'number', step: 0.05, help: 'Jitter strength: factor drawn from [1 − c, 1 + c].' },
      { path: 'augment.saturation', label: 'Saturation', kind: 'number', step: 0.05, help: 'Jitter strength: factor drawn from [1 − s, 1 + s].' },
      { path: 'augment.hue', label: 'Hue', kind: 'number', step: 0.01, help: 'Jitter strength: hue shift drawn from [−h, h] turns.' },
      { path: 'augment.grayscaleP', label: 'Grayscale probability', kind: 'number', step: 0.05, help: 'Chance the crop is turned grey.' },
      { path: 'augment.blurP', label: 'Blur probability', kind: 'triple', step: 0.05, parts: ['global 1', 'global 2', 'local'], help: 'Gaussian blur chance per crop kind: asymmetric between the two global crops.' },
      { path: 'augment.blurSigma', label: 'Blur σ (px)', kind: 'pair', step: 0.1, parts: ['min', 'max'], help: 'Range of the blur radius.' },
      { path: 'augment.solarizeP', label: 'Solarize probability', kind: 'number', step: 0.05, help: 'Chance of solarization, second global crop only.' },
      { path: 'augment.mean', label: 'Normalise mean', kind: 'triple', step: 0.001, parts: ['R', 'G', 'B'], help: 'Per-channel mean subtracted (ImageNet statistics).' },
      { path: 'augment.std', label: 'Normalise std', kind: 'triple', step: 0.001, parts: ['R', 'G', 'B'], help: 'Per-channel standard deviation divided by.' },
    ],
  },
  {
    id: 'optim',
    title: 'Optimisation (AdamW)',
    fields: [
      { path: 'train.epochs', label: 'Epochs', kind: 'int', help: 'Passes over the dataset; all schedules span them.' },
      { path: 'train.batchSize', label: 'Batch size', kind: 'int', help: 'Images per step (fixed shapes; the last partial batch is dropped).' },
      { path: 'train.lr', label: 'Base learning rate', kind: 'number', step: 0.0001, help: 'At batch 256; the peak lr is lr × batch / 256 after the warm-up.' },
      { path: 'train.minLr', label: 'Final learning rate', kind: 'number', step: 1e-6, help: 'Where the cosine decay ends.' },
      { path: 'train.warmupEpochs', label: 'Warm-up epochs', kind: 'int', help: 'Linear lr warm-up from 0 to the peak.' },
      { path: 'train.weightDecay', label: 'Weight decay (start)', kind: 'number', step: 0.01, help: 'Decoupled weight decay, rising by cosine…' },
      { path: 'train.weightDecayEnd', label: 'Weight decay (end)', kind: 'number', step: 0.01, help: '…to this value; a larger end value helps ViTs.' },
      { path: 'train.clipGrad', label: 'Gradient clip', kind: 'number', step: 0.5, help: 'Per-parameter gradient-norm clip; 0 disables.' },
      { path: 'train.freezeLastLayer', label: 'Freeze last layer (epochs)', kind: 'int', help: 'The head’s last layer gets no update at first: stabilises the start.' },
      { path: 'train.dropPathRate', label: 'Drop path', kind: 'number', step: 0.05, help: 'Stochastic depth on the student (the teacher never drops).' },
      { path: 'seed', label: 'Seed', kind: 'int', help: 'Seeds init, crops, augmentation and drop path: same seed, same run.' },
    ],
  },
  {
    id: 'loss',
    title: 'DINO loss and teacher',
    fields: [
      { path: 'train.momentumTeacher', label: 'Teacher momentum', kind: 'number', step: 0.001, help: 'EMA momentum of the teacher at the start; rises to 1 by cosine.' },
      { path: 'train.warmupTeacherTemp', label: 'Teacher temp (warm-up start)', kind: 'number', step: 0.01, help: 'Teacher temperature at epoch 0…' },
      { path: 'train.teacherTemp', label: 'Teacher temperature', kind: 'number', step: 0.01, help: '…after the warm-up. Lower = sharper teacher targets (prevents uniform collapse).' },
      { path: 'train.warmupTeacherTempEpochs', label: 'Teacher temp warm-up (epochs)', kind: 'int', help: 'Linear warm-up length of the teacher temperature.' },
      { path: 'train.studentTemp', label: 'Student temperature', kind: 'number', step: 0.01, help: 'Softmax temperature of the student.' },
      { path: 'train.centerMomentum', label: 'Center momentum', kind: 'number', step: 0.01, help: 'EMA momentum of the teacher-output center. Lower = stronger centering.' },
      { path: 'train.centering', label: 'Centering', kind: 'bool', help: 'Subtract the running center from teacher logits (prevents one-dimension collapse).' },
      { path: 'train.sharpening', label: 'Sharpening', kind: 'bool', help: 'Use the teacher temperature; off = teacher uses the student temperature.' },
    ],
  },
  {
    id: 'run',
    title: 'Cadence (browser only)',
    fields: [
      { path: 'train.metricsEvery', label: 'Metrics every (steps)', kind: 'int', help: 'Read metrics back from the device every N steps (each read drains the GPU queue).' },
      { path: 'train.checkpointEvery', label: 'Checkpoint every (steps)', kind: 'int', help: 'Automatic checkpoint in the browser, for resume and roll-back.' },
    ],
  },
];

/** The form's label of a config path ("train.epochs" -> "Epochs"); the path itself when unknown. */
export function fieldLabel(path: string): string {
  for (const g of FIELD_GROUPS) for (const f of g.fields) if (f.path === path) return f.label;
  return path;
}

/** Paths with no counterpart in the official recipe. */
const BROWSER_ONLY = new Set(['train.metricsEvery', 'train.checkpointEvery']);

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

/** The official recipe's value of a field, formatted; null for browser-only fields. */
export function paperDefault(path: string): string | null {
  if (BROWSER_ONLY.has(path)) return null;
  return formatValue(getPath(runPresets.official, path));
}

export function formatValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  if (Array.isArray(v)) return v.map((x) => formatValue(x)).join(', ');
  if (typeof v === 'number') return String(+v.toPrecision(6));
  return String(v);
}

/** validateConfig's issues by field; issues of a path the form has no field for go under "". */
export function issuesByField(issues: ConfigIssue[]): Map<string, string[]> {
  const known = new Set(FIELD_GROUPS.flatMap((g) => g.fields.map((f) => f.path)));
  const out = new Map<string, string[]>();
  for (const { path, message } of issues) {
    const key = known.has(path) ? path : '';
    out.set(key, [...(out.get(key) ?? []), key ? message : `${path}: ${message}`]);
  }
  return out;
}
