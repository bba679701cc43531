/**
 * The training form's layout: which fields go in which group, in the paper's order. Every field's
 * label, help, input kind and rule come from its one description (src/shared/config-fields.ts);
 * the "paper" value shown next to each is read from the official preset (the ViT-S/16 recipe of
 * facebookresearch/dino), so it cannot drift from config.ts.
 */
import { runPresets, type ConfigIssue } from '../../shared/config';
import { configField, getPath, type ConfigField } from '../../shared/config-fields';

export interface FieldGroup {
  id: 'model' | 'head' | 'augment' | 'optim' | 'loss' | 'run';
  title: string;
  fields: ConfigField[];
}

const group = (id: FieldGroup['id'], title: string, paths: string[]): FieldGroup => ({
  id,
  title,
  fields: paths.map((p) => {
    const f = configField(p);
    if (!f) throw new Error(`the form names ${p}, which is no config field`);
    return f;
  }),
});

export const FIELD_GROUPS: FieldGroup[] = [
  group('model', 'Model (ViT backbone)', [
    'model.patchSize', 'model.imgSize', 'model.embedDim', 'model.depth', 'model.numHeads', 'model.mlpRatio', 'model.qkvBias', 'model.lnEps',
  ]),
  group('head', 'Projection head', ['head.outDim', 'head.hiddenDim', 'head.bottleneckDim', 'head.nlayers', 'head.normLastLayer']),
  group('augment', 'Augmentation (multi-crop)', [
    'augment.globalSize', 'augment.localSize', 'augment.nLocalCrops', 'augment.globalScale', 'augment.localScale', 'augment.ratio',
    'augment.bicubic', 'augment.flipP', 'augment.jitterP', 'augment.brightness', 'augment.contrast', 'augment.saturation', 'augment.hue',
    'augment.grayscaleP', 'augment.blurP', 'augment.blurSigma', 'augment.solarizeP', 'augment.mean', 'augment.std',
  ]),
  group('optim', 'Optimisation (AdamW)', [
    'train.epochs', 'train.batchSize', 'train.lr', 'train.minLr', 'train.warmupEpochs', 'train.weightDecay', 'train.weightDecayEnd',
    'train.clipGrad', 'train.freezeLastLayer', 'train.dropPathRate', 'seed',
  ]),
  group('loss', 'DINO loss and teacher', [
    'train.momentumTeacher', 'train.warmupTeacherTemp', 'train.teacherTemp', 'train.warmupTeacherTempEpochs', 'train.studentTemp',
    'train.centerMomentum', 'train.centering', 'train.sharpening',
  ]),
  group('run', 'Cadence (browser only)', ['train.metricsEvery', 'train.checkpointEvery']),
];

/** The form's label of a config path ("train.epochs" -> "Epochs"); the path itself when unknown. */
export function fieldLabel(path: string): string {
  return configField(path)?.label ?? path;
}

/** The labels of the fields with a problem, each once: "Fix Epochs, Seed to ..." names them as the
 *  form does, and the form shows each problem beside its field. */
export function issueLabels(issues: ConfigIssue[]): string[] {
  return [...new Set(issues.map((i) => fieldLabel(i.path)))];
}

/** The official recipe's value of a field, formatted; null for dinolab's own fields. */
export function paperDefault(path: string): string | null {
  if (configField(path)?.official === null) return null;
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
