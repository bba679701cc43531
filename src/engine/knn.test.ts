import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { microRunConfig } from '../shared/micro-config';
import type { DatasetImage } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { resizeForCrop } from './eval/eval-transform';
import { extractFeatures } from './eval/features';
import { ImageStore } from './image-store';
import { knnClassify, knnOfRows, storeKnn } from './knn';
import { randomModel } from './model-source';
import { disposeParams } from './params';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const rng = new Rng(5);
const rows = (n: number, dim: number) => Float32Array.from({ length: n * dim }, () => rng.normal());

describe('k-NN (official eval_knn)', () => {
  it('on host rows is knnClassify on the same tensors, and frees them', async () => {
    const bank = { features: rows(12, 6), labels: Int32Array.from({ length: 12 }, (_, i) => i % 3) };
    const queries = { features: rows(5, 6), labels: Int32Array.from([0, 1, 2, 0, 1]) };
    const tr = tf.tensor2d(bank.features, [12, 6]);
    const te = tf.tensor2d(queries.features, [5, 6]);
    const want = await knnClassify(tr, bank.labels, te, queries.labels, 3, 4, 0.07);
    tr.dispose();
    te.dispose();
    const before = tf.memory().numTensors;
    const got = await knnOfRows(bank, queries, { numClasses: 3, k: 4, temperature: 0.07 });
    expect(tf.memory().numTensors).toBe(before);
    expect(got).toEqual(want);
    const ragged = { features: rows(3, 2), labels: new Int32Array(4) };
    await expect(knnOfRows(ragged, queries, { numClasses: 3, k: 1, temperature: 1 })).rejects.toThrow(/6 feature values do not make 4 rows/);
  });

  it('on a store: every fifth labelled image is a query, features from the one feature loop', async () => {
    const cfg = microRunConfig();
    const images: DatasetImage[] = Array.from({ length: 12 }, (_, i) => ({
      id: `i${i}`, label: i === 4 ? null : ['b', 'a'][i % 2], width: 20, height: 18,
      pixels: Uint8Array.from({ length: 20 * 18 * 3 }, () => rng.int(256)),
    }));
    const store = new ImageStore();
    store.add(images);
    const model = randomModel(cfg.model, 1);
    const o = { size: 16, mean: cfg.augment.mean, std: cfg.augment.std, k: 3, temperature: 0.07 };
    const r = await storeKnn(model, store, o);
    // 11 labelled images (index 4 has none): positions 0, 5, 10 among them are the queries.
    expect([r.nTrain, r.nTest]).toEqual([8, 3]);
    const labelled = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11];
    const test = [labelled[0], labelled[5], labelled[10]];
    const train = labelled.filter((i) => !test.includes(i));
    const t = { resize: resizeForCrop(16), crop: 16, mean: o.mean, std: o.std };
    const label = (i: number) => (images[i].label === 'a' ? 0 : 1); // classes are the sorted names
    const want = await knnOfRows(
      { features: await extractFeatures(model, train.map((i) => images[i]), t), labels: Int32Array.from(train, label) },
      { features: await extractFeatures(model, test.map((i) => images[i]), t), labels: Int32Array.from(test, label) },
      { numClasses: 2, k: 3, temperature: 0.07 },
    );
    expect(r.probs).toEqual(want.probs);
    expect(r.top1).toBe(want.top1);
    disposeParams(model.params);
    store.dispose();
  });
});
