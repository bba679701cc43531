/** The k-NN checks: the official weighted k-NN (eval_knn) on the case's features, vote for vote. */
import * as tf from '@tensorflow/tfjs';
import { knnClassify } from '../engine/knn';
import { readSafetensors } from '../engine/weights/safetensors';
import { compareArrays, exactCheck, type CheckResult } from './compare';
import { get, tensorOf, type GoldenCase } from './golden-data';

export async function knnChecks({ readFile, manifest, tol }: GoldenCase): Promise<CheckResult[]> {
  const g = 'knn';
  const k = readSafetensors(await readFile('knn.safetensors')).tensors;
  const cfg = manifest.config.knn;
  const tr = tensorOf(get(k, 'train_features_raw')) as tf.Tensor2D;
  const te = tensorOf(get(k, 'test_features_raw')) as tf.Tensor2D;
  const res = await knnClassify(
    tr,
    get(k, 'train_labels').data as Int32Array,
    te,
    get(k, 'test_labels').data as Int32Array,
    cfg.num_classes,
    cfg.k,
    cfg.T,
  );
  tr.dispose();
  te.dispose();
  const expPred = get(k, 'pred').data;
  const top1 = get(k, 'top1').data[0];
  const top5 = get(k, 'top5').data[0];
  return [
    compareArrays(g, 'probs', res.probs, get(k, 'probs').data, tol.knnProbs),
    exactCheck(g, 'pred', res.pred.every((v, i) => v === expPred[i])),
    exactCheck(g, 'top1', Math.abs(res.top1 - top1) < 1e-4, `${res.top1.toFixed(3)} vs ${top1.toFixed(3)}`),
    exactCheck(g, 'top5', Math.abs(res.top5 - top5) < 1e-4, `${res.top5.toFixed(3)} vs ${top5.toFixed(3)}`),
  ];
}
