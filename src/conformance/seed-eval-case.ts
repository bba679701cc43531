/**
 * Checks one `dino-seed-eval-v1` case (shared/golden-eval/README.md): the DINO write-up's
 * evaluation as scikit-learn and torchvision ran it, against dinolab's own code.
 *
 *   eval transform   each named photo through Resize -> CenterCrop -> ToTensor -> Normalize
 *   split            dinolab's stratified, seeded split of the case's labels (property checks)
 *   k-NN             sklearn's rule on the case's split: predictions, neighbour sets, accuracy,
 *                    judged only where the k-th neighbour is not a near tie (knn_border_gap)
 *   t-SNE            dinolab's own map of the case's features, judged by trustworthiness and by
 *                    the same k-NN classifier in 2-D against sklearn's figures; its time reported
 *
 * Every parameter comes from the manifest (sizes, k, split fraction and seed, t-SNE settings,
 * photos, reference figures). Plain TypeScript: no tfjs backend is involved.
 */
import { IMAGENET_MEAN, IMAGENET_STD } from '../shared/config';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import { evalTransform, type EvalTransform } from '../engine/eval/eval-transform';
import { accuracy, knnUniform } from '../engine/eval/knn-uniform';
import { stratification, stratifiedSplit, type Split } from '../engine/eval/split';
import { trustworthiness } from '../engine/eval/trustworthiness';
import { SKLEARN_TSNE, Tsne } from '../engine/eval/tsne';
import { readSafetensors } from '../engine/weights/safetensors';
import { compareArrays, exactCheck, type CheckResult } from './compare';
import { decodeJpeg, isJpeg } from './jpeg';
import { decodePng, isPng, type RgbImage } from './png';

export const SEED_EVAL_FORMAT = 'dino-seed-eval-v1';

/** Reads a file of the case by name, and one of the photos the manifest names. */
interface SeedEvalReader {
  file(name: string): Promise<Uint8Array>;
  photo(name: string): Promise<Uint8Array>;
}

/** The README's tolerances. */
const TRANSFORM_ATOL = 1e-6;
const NEAR_TIE_GAP = 1e-3;
const TRUST_MARGIN = 0.01;
const KNN_2D_MARGIN = 0.03;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Manifest = any;

function get(map: TensorMap, name: string): HostTensor {
  const t = map.get(name);
  if (!t) throw new Error(`eval.safetensors has no tensor ${name}`);
  return t;
}

/** A number from a Python call string such as "train_test_split(test_size=0.2, random_state=42)". */
function callArg(call: unknown, name: string): number | undefined {
  const m = typeof call === 'string' ? new RegExp(`${name}\\s*=\\s*([-+0-9.eE]+)`).exec(call) : null;
  return m ? Number(m[1]) : undefined;
}

function required<T>(v: T | undefined, what: string): T {
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) throw new Error(`manifest.json does not give ${what}`);
  return v;
}

export function decodePhoto(bytes: Uint8Array, name: string): RgbImage {
  if (isPng(bytes)) return decodePng(bytes);
  if (isJpeg(bytes)) return decodeJpeg(bytes);
  throw new Error(`${name}: neither PNG nor JPEG`);
}

/** The eval transform the manifest's call describes (Resize(s) -> CenterCrop(c) -> ImageNet normalise). */
export function transformOf(m: Manifest): EvalTransform {
  const call: string = m.eval_transform?.call ?? '';
  const resize = /Resize\((\d+)/.exec(call)?.[1];
  const crop = /CenterCrop\((\d+)/.exec(call)?.[1] ?? m.eval_transform?.shape?.[3];
  if (!/ImageNet/i.test(call)) throw new Error(`eval_transform.call ${JSON.stringify(call)} does not say ImageNet normalisation`);
  if (/interpolation\s*=\s*(?!3)\d/.test(call)) throw new Error(`eval_transform.call ${JSON.stringify(call)}: only bicubic (interpolation=3) is implemented`);
  return { resize: Number(required(resize, 'Resize(size) in eval_transform.call')), crop: Number(required(crop, 'the crop size')), mean: IMAGENET_MEAN, std: IMAGENET_STD };
}

async function transformChecks(m: Manifest, tensors: TensorMap, read: SeedEvalReader): Promise<CheckResult[]> {
  const t = transformOf(m);
  const photos: string[] = m.eval_transform?.photos ?? [];
  const names: string[] = m.eval_transform?.tensors ?? photos.map((_, j) => `eval_input_${j}`);
  return Promise.all(
    photos.map(async (photo, j) => {
      const img = decodePhoto(await read.photo(photo), photo);
      const ours = evalTransform(img.pixels, img.width, img.height, t);
      const ref = get(tensors, names[j]);
      const r = compareArrays('eval', `transform ${photo}`, ours, ref.data, { atol: TRANSFORM_ATOL, rtol: 0 });
      return { ...r, note: `${img.width}x${img.height} -> [3, ${t.crop}, ${t.crop}]${r.note ? `; ${r.note}` : ''}` };
    }),
  );
}

function splitChecks(m: Manifest, labels: Int32Array, given: Split): { results: CheckResult[]; fraction: number } {
  const call = m.split?.call;
  const n = labels.length;
  const fraction = callArg(call, 'test_size') ?? m.split?.test_size ?? m.split?.n_val / n;
  const seed = required(callArg(call, 'random_state') ?? m.split?.random_state, 'the split seed (random_state)');
  required(fraction, 'the split fraction (test_size)');
  const results: CheckResult[] = [];
  // The case's own split must have the property too, or the rule below would be wrong.
  const theirs = stratification(labels, given, fraction);
  results.push({
    ...exactCheck('split', 'sklearn split stratified (input check)', theirs.partition && theirs.worstDeviation <= 1),
    maxAbs: theirs.worstDeviation,
    atol: 1,
    note: `worst class off by ${theirs.worstDeviation.toFixed(2)} rows`,
  });
  const ours = stratifiedSplit(labels, fraction, seed);
  const rep = stratification(labels, ours, fraction);
  const sizesOk = ours.val.length === given.val.length && ours.train.length === given.train.length;
  results.push({
    ...exactCheck('split', `stratified (test_size ${fraction}, seed ${seed})`, rep.partition && rep.worstDeviation <= 1 && sizesOk),
    maxAbs: rep.worstDeviation,
    atol: 1,
    note: `val ${ours.val.length} (sklearn ${given.val.length}), train ${ours.train.length} (sklearn ${given.train.length}); worst class off by ${rep.worstDeviation.toFixed(2)} rows`,
  });
  const again = stratifiedSplit(labels, fraction, seed);
  const other = stratifiedSplit(labels, fraction, seed + 1);
  const same = again.val.every((v, i) => v === ours.val[i]);
  const differs = other.val.some((v, i) => v !== ours.val[i]);
  results.push(exactCheck('split', 'seeded (same seed same split, next seed another)', same && differs));
  return { results, fraction };
}

function knnChecks(m: Manifest, features: HostTensor, labels: Int32Array, given: Split, tensors: TensorMap): CheckResult[] {
  const k = required(m.knn?.k ?? callArg(m.knn?.call, 'n_neighbors'), 'knn.k');
  const dim = features.shape[1];
  const ours = knnUniform(features.data, dim, labels, given.train, given.val, k);
  const refPred = get(tensors, 'knn_pred').data;
  const refNbr = get(tensors, 'knn_neighbors').data;
  const gap = get(tensors, 'knn_border_gap').data;
  const nq = given.val.length;
  if (refPred.length !== nq || refNbr.length !== nq * k) throw new Error(`knn_pred / knn_neighbors hold ${refPred.length} / ${refNbr.length} values for ${nq} queries and k ${k}`);
  const judged = (q: number) => gap[q] > NEAR_TIE_GAP;
  const nearTies = Array.from({ length: nq }, (_, q) => q).filter((q) => !judged(q)).length;
  let predWrong = 0;
  let setWrong = 0;
  for (let q = 0; q < nq; q++) {
    if (!judged(q)) continue;
    if (ours.pred[q] !== refPred[q]) predWrong++;
    const want = new Set(Array.from(refNbr.subarray(q * k, (q + 1) * k)));
    if (!Array.from(ours.neighbors.subarray(q * k, (q + 1) * k)).every((i) => want.has(i))) setWrong++;
  }
  const judgedNote = `${nq - nearTies} of ${nq} queries judged, ${nearTies} near ties (gap <= ${NEAR_TIE_GAP})`;
  const acc = accuracy(ours.pred, labels, given.val);
  const refAcc = required(m.knn?.accuracy, 'knn.accuracy');
  const accTol = nearTies / nq;
  const accDiff = Math.abs(acc - refAcc);
  return [
    { ...exactCheck('knn', `sklearn rule neighbour sets (k ${k})`, setWrong === 0, `${setWrong} differ; ${judgedNote}`), maxAbs: setWrong },
    { ...exactCheck('knn', 'sklearn rule predictions', predWrong === 0, `${predWrong} differ; ${judgedNote}`), maxAbs: predWrong },
    {
      group: 'knn',
      name: 'sklearn rule accuracy',
      pass: accDiff <= accTol + 1e-12,
      maxAbs: accDiff,
      maxRel: refAcc ? accDiff / refAcc : NaN,
      atol: accTol,
      rtol: 0,
      note: `dinolab ${acc.toFixed(4)}, sklearn ${refAcc}`,
    },
  ];
}

function tsneChecks(m: Manifest, features: HostTensor, labels: Int32Array, given: Split): CheckResult[] {
  const ref = m.tsne ?? {};
  const [n, dim] = features.shape;
  const method = ref.method === 'exact' ? 'exact' : ref.method === 'barnes_hut' ? 'barnes-hut' : SKLEARN_TSNE.method;
  const opts = {
    ...SKLEARN_TSNE,
    perplexity: ref.perplexity ?? SKLEARN_TSNE.perplexity,
    earlyExaggeration: ref.early_exaggeration ?? SKLEARN_TSNE.earlyExaggeration,
    iterations: ref.n_iter ?? SKLEARN_TSNE.iterations,
    angle: ref.angle ?? SKLEARN_TSNE.angle,
    method: method as 'exact' | 'barnes-hut' | 'auto',
  };
  const seed = callArg(ref.call, 'random_state') ?? 42;
  const t0 = performance.now();
  const tsne = new Tsne(features.data, dim, opts, seed);
  const y = tsne.run();
  const seconds = (performance.now() - t0) / 1000;
  const trustKey = Object.keys(ref).find((key) => /^trustworthiness_k\d+$/.test(key));
  if (!trustKey) throw new Error('manifest.json tsne gives no trustworthiness_k<k> figure');
  const trustK = Number(trustKey.slice('trustworthiness_k'.length));
  const trust = trustworthiness(features.data, dim, y, 2, trustK);
  const refTrust: number = ref[trustKey];
  const k = required(m.knn?.k ?? callArg(m.knn?.call, 'n_neighbors'), 'knn.k');
  const acc2d = accuracy(knnUniform(y, 2, labels, given.train, given.val, k).pred, labels, given.val);
  const refAcc2d = required(ref.knn_accuracy_in_2d, 'tsne.knn_accuracy_in_2d');
  const pcaTrust = ref[`${trustKey}_pca2`];
  const lines: CheckResult[] = [
    {
      group: 'tsne',
      name: `trustworthiness k=${trustK} (${tsne.method}, n ${n})`,
      pass: trust >= refTrust - TRUST_MARGIN,
      maxAbs: Math.max(0, refTrust - trust),
      maxRel: NaN,
      atol: TRUST_MARGIN,
      rtol: 0,
      note: `dinolab ${trust.toFixed(4)}, sklearn ${refTrust.toFixed(4)}${pcaTrust !== undefined ? `, PCA-2 ${Number(pcaTrust).toFixed(4)}` : ''}`,
    },
    {
      group: 'tsne',
      name: `k-NN accuracy in 2-D (k ${k})`,
      pass: acc2d >= refAcc2d - KNN_2D_MARGIN,
      maxAbs: Math.max(0, refAcc2d - acc2d),
      maxRel: NaN,
      atol: KNN_2D_MARGIN,
      rtol: 0,
      note: `dinolab ${acc2d.toFixed(4)}, sklearn ${refAcc2d}`,
    },
    {
      ...exactCheck('tsne', 'time (reported, not judged)', true, `dinolab ${seconds.toFixed(2)} s, sklearn ${ref.seconds ?? '?'} s (one core); ${tsne.iteration} iterations`),
      info: true,
    },
  ];
  return lines;
}

/** Every check of the case, in README order. */
export async function runSeedEvalCase(read: SeedEvalReader): Promise<CheckResult[]> {
  const m: Manifest = JSON.parse(new TextDecoder().decode(await read.file('manifest.json')));
  if (m.format !== SEED_EVAL_FORMAT) throw new Error(`manifest format ${JSON.stringify(m.format)} is not ${SEED_EVAL_FORMAT}`);
  const tensors = readSafetensors(await read.file('eval.safetensors')).tensors;
  const features = get(tensors, 'features');
  if (features.shape.length !== 2) throw new Error(`features must be [n, dim], got [${features.shape}]`);
  const labels = Int32Array.from(get(tensors, 'labels').data);
  if (labels.length !== features.shape[0]) throw new Error(`${labels.length} labels for ${features.shape[0]} feature rows`);
  const given: Split = { train: Int32Array.from(get(tensors, 'train_idx').data), val: Int32Array.from(get(tensors, 'val_idx').data) };
  return [
    ...(await transformChecks(m, tensors, read)),
    ...splitChecks(m, labels, given).results,
    ...knnChecks(m, features, labels, given, tensors),
    ...tsneChecks(m, features, labels, given),
  ];
}
