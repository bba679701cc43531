/**
 * Weighted k-NN classification of features (official `eval_knn.knn_classifier`): cosine similarity
 * to every training feature, the k nearest vote for their label with weight exp(cos / T), classes
 * are ranked by their (unnormalised) vote sums.
 *
 * Shapes: Ntr training rows, Nte test rows, d feature width, C classes.
 */
import * as tf from '@tensorflow/tfjs';
import { l2Normalize } from './dino-head';

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
