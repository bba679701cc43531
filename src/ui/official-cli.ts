/**
 * The official `main_dino.py` command line (facebookresearch/dino) equivalent to a RunConfig, so a
 * run designed in the browser can be repeated at full scale. Every field maps to a flag, or, where
 * the official script hard-codes the value, to a note saying what to change in its source.
 */
import { IMAGENET_MEAN, IMAGENET_STD, defaultAugment, defaultTrain, type RunConfig, type ViTConfig } from '../shared/config';

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

/** Python literal: True/False, small magnitudes in exponent form (1e-06 reads better as 1e-6). */
const py = (v: number | boolean): string => {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return v !== 0 && Math.abs(v) < 1e-4 ? v.toExponential() : String(v);
};
const same = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-9);
const list = (a: readonly number[]) => `(${a.map((v) => +v.toPrecision(6)).join(', ')})`;

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
  const { model: m, head: h, augment: a, train: t } = config;
  const notes: string[] = [];

  // Without sharpening the teacher uses the student temperature; that is expressible with flags.
  const teacherTemp = t.sharpening ? t.teacherTemp : t.studentTemp;
  const warmupTeacherTemp = t.sharpening ? t.warmupTeacherTemp : t.studentTemp;
  const warmupTeacherTempEpochs = t.sharpening ? t.warmupTeacherTempEpochs : 0;
  if (!t.sharpening) {
    notes.push(`Sharpening is off: the teacher temperature flags are set to the student temperature (${t.studentTemp}).`);
  }

  const flags: [string, string][] = [
    ['--arch', archFlag(m, notes)],
    ['--patch_size', py(m.patchSize)],
    ['--out_dim', py(h.outDim)],
    ['--norm_last_layer', py(h.normLastLayer)],
    ['--momentum_teacher', py(t.momentumTeacher)],
    ['--use_bn_in_head', 'False'],
    ['--warmup_teacher_temp', py(warmupTeacherTemp)],
    ['--teacher_temp', py(teacherTemp)],
    ['--warmup_teacher_temp_epochs', py(warmupTeacherTempEpochs)],
    ['--use_fp16', 'False'],
    ['--weight_decay', py(t.weightDecay)],
    ['--weight_decay_end', py(t.weightDecayEnd)],
    ['--clip_grad', py(t.clipGrad)],
    ['--batch_size_per_gpu', py(gpus > 1 ? Math.max(1, Math.round(t.batchSize / gpus)) : t.batchSize)],
    ['--epochs', py(t.epochs)],
    ['--freeze_last_layer', py(t.freezeLastLayer)],
    ['--lr', py(t.lr)],
    ['--warmup_epochs', py(t.warmupEpochs)],
    ['--min_lr', py(t.minLr)],
    ['--optimizer', 'adamw'],
    ['--drop_path_rate', py(t.dropPathRate)],
    ['--global_crops_scale', `${py(a.globalScale[0])} ${py(a.globalScale[1])}`],
    ['--local_crops_number', py(a.nLocalCrops)],
    ['--local_crops_scale', `${py(a.localScale[0])} ${py(a.localScale[1])}`],
    ['--seed', py(config.seed)],
    ['--data_path', dataPath],
    ['--output_dir', outputDir],
  ];

  if (gpus > 1 && t.batchSize % gpus !== 0) {
    notes.push(`Batch ${t.batchSize} does not split evenly over ${gpus} GPUs; the total batch (and the scaled lr) changes.`);
  }
  notes.push(
    `The peak learning rate is lr × batch_size_per_gpu × GPUs / 256 in both implementations; keep the total batch (${t.batchSize}) to keep it.`,
  );
  if (m.imgSize !== 224) {
    notes.push(`The official ViT builds its position table for 224 px (img_size=[224]); this run used ${m.imgSize} px. Both interpolate for other crop sizes.`);
  }

  // Multi-crop: DataAugmentationDINO hard-codes the crop sizes and photometric augmentations.
  const aug = 'hard-coded in DataAugmentationDINO (main_dino.py)';
  if (a.globalSize !== 224) notes.push(`Global crop size ${a.globalSize} px: ${aug} as RandomResizedCrop(224).`);
  if (a.localSize !== 96) notes.push(`Local crop size ${a.localSize} px: ${aug} as RandomResizedCrop(96).`);
  if (a.bicubic !== true) notes.push(`Crops resized bilinearly here: ${aug} as bicubic (PIL), which is what dinolab's default does.`);
  if (!same(a.ratio, defaultAugment.ratio)) notes.push(`Crop aspect-ratio range ${list(a.ratio)}: torchvision's default (3/4, 4/3) is used officially.`);
  if (a.flipP !== defaultAugment.flipP) notes.push(`Horizontal flip probability ${a.flipP}: ${aug} (0.5).`);
  if (a.jitterP !== defaultAugment.jitterP) notes.push(`Colour jitter probability ${a.jitterP}: ${aug} (0.8).`);
  const jitter = [a.brightness, a.contrast, a.saturation, a.hue];
  const officialJitter = [defaultAugment.brightness, defaultAugment.contrast, defaultAugment.saturation, defaultAugment.hue];
  if (!same(jitter, officialJitter)) {
    notes.push(`Colour jitter strengths (brightness, contrast, saturation, hue) ${list(jitter)}: ${aug} as ${list(officialJitter)}.`);
  }
  if (a.grayscaleP !== defaultAugment.grayscaleP) notes.push(`Grayscale probability ${a.grayscaleP}: ${aug} (0.2).`);
  if (!same(a.blurP, defaultAugment.blurP)) {
    notes.push(`Blur probabilities (global 1, global 2, local) ${list(a.blurP)}: ${aug} as (1.0, 0.1, 0.5).`);
  }
  if (!same(a.blurSigma, defaultAugment.blurSigma)) notes.push(`Blur sigma range ${list(a.blurSigma)}: utils.GaussianBlur uses (0.1, 2.0).`);
  if (a.solarizeP !== defaultAugment.solarizeP) notes.push(`Solarization probability ${a.solarizeP}: ${aug} (0.2, second global crop).`);
  if (!same(a.mean, IMAGENET_MEAN) || !same(a.std, IMAGENET_STD)) {
    notes.push(`Normalisation mean ${list(a.mean)}, std ${list(a.std)}: the official code uses the ImageNet statistics.`);
  }

  // DINO head and loss constants without flags.
  if (h.hiddenDim !== 2048) notes.push(`Head hidden width ${h.hiddenDim}: DINOHead's hidden_dim is 2048 by default (no flag).`);
  if (h.bottleneckDim !== 256) notes.push(`Head bottleneck width ${h.bottleneckDim}: DINOHead's bottleneck_dim is 256 by default (no flag).`);
  if (h.nlayers !== 3) notes.push(`Head MLP layers ${h.nlayers}: DINOHead's nlayers is 3 by default (no flag).`);
  if (t.studentTemp !== defaultTrain.studentTemp) notes.push(`Student temperature ${t.studentTemp}: DINOLoss's student_temp is 0.1 (no flag).`);
  if (t.centerMomentum !== defaultTrain.centerMomentum) {
    notes.push(`Center momentum ${t.centerMomentum}: DINOLoss's center_momentum is 0.9 (no flag).`);
  }
  if (!t.centering) notes.push('Centering is off: no flag; remove "- self.center" from the teacher logits in DINOLoss.forward.');
  notes.push(
    `Metrics every ${t.metricsEvery} steps and browser checkpoints every ${t.checkpointEvery} steps have no equivalent; ` +
      'the official script logs every 10 iterations and saves every epoch (--saveckp_freq for numbered copies).',
  );

  const launcher = `python -m torch.distributed.launch --nproc_per_node=${gpus} main_dino.py`;
  const command = [launcher, ...flags.map(([f, v]) => `${f} ${v}`)].join(' \\\n  ');
  return { command, notes };
}
