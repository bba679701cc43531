/**
 * The official `main_dino.py` command line (facebookresearch/dino) equivalent to a RunConfig, so a
 * run designed in the browser can be repeated at full scale. Each field's flag, or what fixes it in
 * the official code when it has none, comes from its description (src/shared/config-fields.ts):
 * flags are written for the first, and a note for each of the others whose value differs from the
 * official recipe, saying what to change in the official source.
 */
import { runPresets, type RunConfig, type ViTConfig } from '../../shared/config';
import { CONFIG_FIELDS, getPath, type ConfigField } from '../../shared/config-fields';

export interface OfficialCommand {
  command: string;
  notes: string[];
}

export interface OfficialCommandOptions {
  dataPath?: string;
  outputDir?: string;
  /** GPUs on the node; the official lr scaling uses batch_size_per_gpu * GPUs. */
  gpus?: number;
}

/** The official `vit_*` factories (vision_transformer.py): depth 12, mlp_ratio 4, qkv_bias, eps 1e-6. */
const OFFICIAL_ARCHS: { arch: string; embedDim: number; numHeads: number }[] = [
  { arch: 'vit_tiny', embedDim: 192, numHeads: 3 },
  { arch: 'vit_small', embedDim: 384, numHeads: 6 },
  { arch: 'vit_base', embedDim: 768, numHeads: 12 },
];

/** Fields whose notes are written together, below: the backbone (one --arch), the colour jitter
 *  (one ColorJitter call), the normalisation, and sharpening (expressed through the flags). */
const JITTER = ['augment.brightness', 'augment.contrast', 'augment.saturation', 'augment.hue'];
const TOGETHER = new Set([
  'model.embedDim', 'model.depth', 'model.numHeads', 'model.mlpRatio', 'model.qkvBias', 'model.lnEps',
  ...JITTER, 'augment.mean', 'augment.std', 'train.sharpening',
]);

/** Python literal: True/False, small magnitudes in exponent form (1e-06 reads better as 1e-6). */
const py = (v: number | boolean): string => {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return v !== 0 && Math.abs(v) < 1e-4 ? v.toExponential() : String(v);
};
const same = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((v, i) => same(v, b[i])) : typeof a === 'number' && typeof b === 'number' ? Math.abs(a - b) < 1e-9 : a === b;
const list = (a: readonly number[]) => `(${a.map((v) => +v.toPrecision(6)).join(', ')})`;

/** A value as a note writes it: on/off, (a, b), or the number with its unit unless the label has it. */
function noteValue(f: ConfigField, v: unknown): string {
  if (f.kind === 'bool') return v ? 'on' : 'off';
  if (Array.isArray(v)) return list(v);
  const unit = f.unit && !f.label.includes(`(${f.unit})`) ? ` ${f.unit}` : '';
  return `${+(v as number).toPrecision(6)}${unit}`;
}

function archFlag(m: ViTConfig, notes: string[]): string {
  const exact = OFFICIAL_ARCHS.find((a) => a.embedDim === m.embedDim && a.numHeads === m.numHeads);
  const standardRest = m.depth === 12 && m.mlpRatio === 4 && m.qkvBias && m.lnEps === 1e-6;
  if (exact && standardRest) return exact.arch;
  const closest = exact ?? OFFICIAL_ARCHS.reduce((a, b) => (Math.abs(b.embedDim - m.embedDim) < Math.abs(a.embedDim - m.embedDim) ? b : a));
  notes.push(
    `No official --arch matches this ViT (width ${m.embedDim}, depth ${m.depth}, ${m.numHeads} heads, mlp ratio ${m.mlpRatio}, ` +
      `qkv bias ${py(m.qkvBias)}, LayerNorm eps ${m.lnEps}); --arch ${closest.arch} is the closest. To train this exact model, add ` +
      `"def vit_custom(patch_size=16, **kwargs): return VisionTransformer(patch_size=patch_size, embed_dim=${m.embedDim}, ` +
      `depth=${m.depth}, num_heads=${m.numHeads}, mlp_ratio=${m.mlpRatio}, qkv_bias=${py(m.qkvBias)}, ` +
      `norm_layer=partial(nn.LayerNorm, eps=${m.lnEps}), **kwargs)" to vision_transformer.py and pass --arch vit_custom.`,
  );
  return closest.arch;
}

/** main_dino.py flags (and notes for what has no flag) for a run. */
export function officialCommandLine(config: RunConfig, options: OfficialCommandOptions = {}): OfficialCommand {
  const { dataPath = '/path/to/imagenet/train', outputDir = './dino_output', gpus = 1 } = options;
  const { augment: a, train: t } = config;
  const official = runPresets.official;
  const notes: string[] = [];
  const arch = archFlag(config.model, notes);

  // Values that are not the field's own: without sharpening the teacher uses the student
  // temperature (expressible with flags), and the batch is per GPU.
  const value: Record<string, string> = {
    'train.batchSize': py(gpus > 1 ? Math.max(1, Math.round(t.batchSize / gpus)) : t.batchSize),
  };
  if (!t.sharpening) {
    value['train.teacherTemp'] = value['train.warmupTeacherTemp'] = py(t.studentTemp);
    value['train.warmupTeacherTempEpochs'] = py(0);
    notes.push(`Sharpening is off: the teacher temperature flags are set to the student temperature (${t.studentTemp}).`);
  }

  const flags: [string, string][] = [['--arch', arch]];
  for (const f of CONFIG_FIELDS) {
    if (!f.official) continue;
    const v = getPath(config, f.path);
    if ('flag' in f.official) {
      flags.push([`--${f.official.flag}`, value[f.path] ?? (Array.isArray(v) ? v.map(py).join(' ') : py(v as number | boolean))]);
    } else if (!TOGETHER.has(f.path) && !same(v ?? false, getPath(official, f.path))) {
      notes.push(`${f.label} ${noteValue(f, v ?? false)}: ${f.official.fixedIn}; officially ${noteValue(f, getPath(official, f.path))}.`);
    }
  }
  flags.push(['--use_bn_in_head', 'False'], ['--use_fp16', 'False'], ['--optimizer', 'adamw'], ['--data_path', dataPath], ['--output_dir', outputDir]);

  if (gpus > 1 && t.batchSize % gpus !== 0) {
    notes.push(`Batch ${t.batchSize} does not split evenly over ${gpus} GPUs; the total batch (and the scaled lr) changes.`);
  }
  notes.push(
    `The peak learning rate is lr × batch_size_per_gpu × GPUs / 256 in both implementations; keep the total batch (${t.batchSize}) to keep it.`,
  );
  const aug = 'hard-coded in DataAugmentationDINO (main_dino.py)';
  const jitter = JITTER.map((p) => getPath(config, p) as number);
  const officialJitter = JITTER.map((p) => getPath(official, p) as number);
  if (!same(jitter, officialJitter)) {
    notes.push(`Colour jitter strengths (brightness, contrast, saturation, hue) ${list(jitter)}: ${aug} as ${list(officialJitter)}.`);
  }
  if (!same(a.mean, official.augment.mean) || !same(a.std, official.augment.std)) {
    notes.push(`Normalisation mean ${list(a.mean)}, std ${list(a.std)}: the official code uses the ImageNet statistics.`);
  }
  notes.push(
    `Metrics every ${t.metricsEvery} steps and browser checkpoints every ${t.checkpointEvery} steps have no equivalent; ` +
      'the official script logs every 10 iterations and saves every epoch (--saveckp_freq for numbered copies).',
  );

  const launcher = `python -m torch.distributed.launch --nproc_per_node=${gpus} main_dino.py`;
  const command = [launcher, ...flags.map(([f, v]) => `${f} ${v}`)].join(' \\\n  ');
  return { command, notes };
}
