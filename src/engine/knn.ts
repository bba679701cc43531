/**
 * Weighted k-NN classification of features (official `eval_knn.knn_classifier`): cosine similarity
 * to every training feature, the k nearest vote for their label with weight exp(cos / T), classes
 * are ranked by their (unnormalised) vote sums. Below it, the same rule on host rows, on a model's
 * features of labelled images (the one feature loop), and on a store's labelled images.
 *
 * Shapes: Ntr training rows, Nte test rows, d feature width, C classes.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImagePixels } from '../shared/protocol';
import { l2Normalize } from './dino-head';
import { resizeForCrop, type EvalTransform } from './eval/eval-transform';
import { extractFeatures, type FeatureModel } from './eval/features';
import type { ImageStore } from './image-store';

export interface KnnResult {
  /** Vote sums per class, [Nte, C]. */
  probs: Float32Array;
  /** Best class per test row. */
  pred: Int32Array;
  /** Percentages of test rows whose label is ranked first / within the first min(5, k). */
  top1: number;
  top5: number;
}

export async function knnClassify(
  trainFeatures: tf.Tensor2D,
  trainLabels: Int32Array,
  testFeatures: tf.Tensor2D,
  testLabels: Int32Array,
  numClasses: number,
  k: number,
  T: number,
  normalize = true,
): Promise<KnnResult> {
  const nTe = testFeatures.shape[0];
  const kk = Math.min(k, trainFeatures.shape[0]);
  const probsT = tf.tidy(() => {
    const tr = normalize ? l2Normalize(trainFeatures) : trainFeatures;
    const te = normalize ? l2Normalize(testFeatures) : testFeatures;
    const sim = tf.matMul(te, tr, false, true); // (Nte, Ntr)
    const { values, indices } = tf.topk(sim, kk); // (Nte, k)
    const labels = tf.gather(tf.tensor1d(trainLabels, 'int32'), indices); // (Nte, k)
    const votes = tf.mul(tf.oneHot(labels, numClasses), tf.expandDims(tf.exp(tf.div(values, T)), -1)); // (Nte, k, C)
    return tf.sum(votes, 1); // (Nte, C)
  });
  const probs = new Float32Array((await probsT.data()) as Float32Array);
  probsT.dispose();
  const pred = new Int32Array(nTe);
  let hit1 = 0;
  let hit5 = 0;
  const top = Math.min(5, kk);
  for (let i = 0; i < nTe; i++) {
    const row = probs.subarray(i * numClasses, (i + 1) * numClasses);
    const ranked = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
    pred[i] = ranked[0];
    if (ranked[0] === testLabels[i]) hit1++;
    if (ranked.slice(0, top).includes(testLabels[i])) hit5++;
  }
  return { probs, pred, top1: (100 * hit1) / nTe, top5: (100 * hit5) / nTe };
}

/** Labelled rows for k-NN: `features` row-major [n, dim], `labels` [n] class ids. */
interface LabelledRows {
  features: Float32Array;
  labels: Int32Array;
}

/** The vote of `eval_knn`: C classes, the k nearest, temperature T of the weights exp(cos / T). */
export interface KnnRule {
  numClasses: number;
  k: number;
  temperature: number;
}

/** [n, dim] of labelled rows; throws when the values do not fill whole rows. */
function rowsShape(rows: LabelledRows, what: string): [number, number] {
  const n = rows.labels.length;
  const dim = rows.features.length / n;
  if (!(n > 0 && Number.isInteger(dim))) throw new Error(`${what}: ${rows.features.length} feature values do not make ${n} rows`);
  return [n, dim];
}

/** knnClassify of host rows: the memory bank `bank` votes for each row of `queries`. */
export async function knnOfRows(bank: LabelledRows, queries: LabelledRows, rule: KnnRule): Promise<KnnResult> {
  const trShape = rowsShape(bank, 'k-NN memory bank');
  const teShape = rowsShape(queries, 'k-NN queries');
  const tr = tf.tensor2d(bank.features, trShape); // [Ntr, d]
  const te = tf.tensor2d(queries.features, teShape); // [Nte, d]
  try {
    return await knnClassify(tr, bank.labels, te, queries.labels, rule.numClasses, rule.k, rule.temperature);
  } finally {
    tr.dispose();
    te.dispose();
  }
}

/** Labelled images: `labels[i]` is the class id of `images[i]`. */
export interface LabelledImages {
  images: readonly ImagePixels[];
  labels: Int32Array;
}

interface ModelKnnOptions {
  transform: EvalTransform;
  rule: KnnRule;
  /** Images per forward pass of the feature loop. */
  batchSize: number;
}

/**
 * `eval_knn` of a model: CLS features of the memory bank and of the queries through the one
 * feature loop (eval/features.ts, the write-up's eval transform), then the weighted vote.
 */
export async function modelKnn(model: FeatureModel, bank: LabelledImages, queries: LabelledImages, o: ModelKnnOptions): Promise<KnnResult> {
  const features = (s: LabelledImages) => extractFeatures(model, s.images, o.transform, { batchSize: o.batchSize });
  const bankRows = { features: await features(bank), labels: bank.labels };
  const queryRows = { features: await features(queries), labels: queries.labels };
  return knnOfRows(bankRows, queryRows, o.rule);
}

interface StoreKnnOptions {
  /** Crop side of the eval transform, px (the run's global crop size). */
  size: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  k: number;
  temperature: number;
}

/**
 * The Train tab's k-NN button: `eval_knn` on the labelled images of `store`, every fifth labelled
 * image (in store order) a query and the others the memory bank; classes are the sorted label
 * names. The Evaluate tab offers both rules, other splits and baselines (eval/knn-report.ts).
 */
export async function storeKnn(
  model: FeatureModel,
  store: ImageStore,
  o: StoreKnnOptions,
): Promise<KnnResult & { nTrain: number; nTest: number }> {
  const labels = store.labels;
  const names = [...new Set(labels.filter((l): l is string => l !== null))].sort();
  if (names.length < 2) throw new Error('k-NN needs labelled images of at least two classes (folder names are labels)');
  const labelled = labels.map((l, i) => (l === null ? -1 : i)).filter((i) => i >= 0);
  const part = (idx: number[]): LabelledImages => ({
    images: idx.map((i) => store.image(i)),
    labels: Int32Array.from(idx, (i) => names.indexOf(labels[i]!)),
  });
  const test = labelled.filter((_, j) => j % 5 === 0);
  const train = labelled.filter((_, j) => j % 5 !== 0);
  const r = await modelKnn(model, part(train), part(test), {
    transform: { resize: resizeForCrop(o.size), crop: o.size, mean: o.mean, std: o.std },
    rule: { numClasses: names.length, k: o.k, temperature: o.temperature },
    batchSize: 64,
  });
  return { ...r, nTrain: train.length, nTest: test.length };
}
