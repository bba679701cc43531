/**
 * One k-NN evaluation as the views show it: a stratified seeded split of the labelled rows, then
 * either rule on it, and the accuracy, per-class accuracy and confusion matrix.
 *
 * Rules (protocol.ts KnnRule):
 * - 'sklearn' (the write-up): Euclidean, k nearest with one vote each, ties to the smallest class id
 *   (knn-uniform.ts);
 * - 'dino' (official eval_knn.py): cosine similarity of L2-normalised features, the k most similar
 *   vote with weight exp(sim / T); classes ranked by vote sums; top-1 and top-5.
 */
import type { KnnReport, KnnSettings, FeatureSource } from '../../shared/protocol';
import { knnUniform } from './knn-uniform';
import { stratifiedSplit } from './split';

/** Unit-length copies of the rows of a row-major [n, dim] matrix (zero rows stay zero). */
export function l2NormalizeRows(x: ArrayLike<number>, dim: number): Float32Array {
  const out = Float32Array.from(x);
  for (let o = 0; o < out.length; o += dim) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += out[o + j] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < dim; j++) out[o + j] *= inv;
  }
  return out;
}

/** Official eval_knn rule: ranked classes per query (best first), from the top-k cosine votes. */
function knnWeighted(
  features: ArrayLike<number>,
  dim: number,
  labels: ArrayLike<number>,
  numClasses: number,
  train: ArrayLike<number>,
  query: ArrayLike<number>,
  k: number,
  temperature: number,
): Int32Array[] {
  const x = l2NormalizeRows(features, dim);
  const kk = Math.min(k, train.length);
  const sims = new Float64Array(train.length);
  const order = Array.from({ length: train.length }, (_, i) => i);
  return Array.from(query, (q) => {
    for (let t = 0; t < train.length; t++) {
      let s = 0;
      const a = q * dim;
      const b = train[t] * dim;
      for (let j = 0; j < dim; j++) s += x[a + j] * x[b + j];
      sims[t] = s;
    }
    order.sort((a, b) => sims[b] - sims[a] || a - b);
    const votes = new Float64Array(numClasses);
    for (let j = 0; j < kk; j++) votes[labels[train[order[j]]]] += Math.exp(sims[order[j]] / temperature);
    return Int32Array.from(Array.from(votes.keys()).sort((a, b) => votes[b] - votes[a] || a - b));
  });
}

/** Why the labelled rows cannot be scored, or null when they can. */
export function unscorable(labels: ArrayLike<number>, settings: KnnSettings): string | null {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) if (labels[i] >= 0) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  const labelled = [...counts.values()].reduce((a, b) => a + b, 0);
  if (labelled === 0) return 'no image has a label: k-NN accuracy needs labelled images (a folder name is the label). The map and retrieval still work.';
  if (counts.size < 2) return `only one class (${labelled} images): k-NN accuracy needs at least two classes.`;
  const nVal = Math.ceil(settings.valFraction * labelled);
  if (labelled - nVal < settings.k) return `${labelled - nVal} training images after the split, fewer than k = ${settings.k}.`;
  return null;
}

export function knnReport(
  source: FeatureSource,
  features: ArrayLike<number>,
  dim: number,
  labels: Int32Array,
  numClasses: number,
  settings: KnnSettings,
): KnnReport {
  const rows = Int32Array.from(Array.from(labels.keys()).filter((i) => labels[i] >= 0));
  const split = stratifiedSplit(Array.from(rows, (i) => labels[i]), settings.valFraction, settings.seed);
  const train = Array.from(split.train, (j) => rows[j]);
  const val = Array.from(split.val, (j) => rows[j]);
  let pred: Int32Array;
  let top5: number | null = null;
  if (settings.rule === 'sklearn') {
    pred = knnUniform(features, dim, labels, train, val, settings.k).pred;
  } else {
    const ranked = knnWeighted(features, dim, labels, numClasses, train, val, settings.k, settings.temperature);
    pred = Int32Array.from(ranked, (r) => r[0]);
    const top = Math.min(5, settings.k);
    top5 = ranked.filter((r, q) => Array.from(r.subarray(0, top)).includes(labels[val[q]])).length / val.length;
  }
  const confusion = new Int32Array(numClasses * numClasses);
  val.forEach((v, q) => confusion[labels[v] * numClasses + pred[q]]++);
  const perClass = Float64Array.from({ length: numClasses }, (_, c) => {
    let total = 0;
    for (let p = 0; p < numClasses; p++) total += confusion[c * numClasses + p];
    return total ? confusion[c * numClasses + c] / total : NaN;
  });
  const hits = val.filter((v, q) => pred[q] === labels[v]).length;
  return { source, rule: settings.rule, accuracy: hits / val.length, top5, perClass, confusion, nTrain: train.length, nVal: val.length };
}
