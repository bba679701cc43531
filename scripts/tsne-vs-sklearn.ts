/**
 * npx tsx scripts/tsne-vs-sklearn.ts [--n 2000]
 *
 * dinolab's t-SNE and k-NN (engine/eval) on the Fashion-MNIST demo's pixels (n images, 784 values
 * in 0..1), the numbers to put beside scikit-learn's on the same data (scripts/tsne-vs-sklearn.py):
 * t-SNE seconds and trustworthiness (k = 5), and the write-up's k-NN (k 20, stratified 80/20 split,
 * seed 42) on the pixels and on the 2-D map.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { accuracy, knnUniform } from '../src/engine/eval/knn-uniform';
import { stratifiedSplit } from '../src/engine/eval/split';
import { trustworthiness } from '../src/engine/eval/trustworthiness';
import { Tsne } from '../src/engine/eval/tsne';

const here = path.dirname(fileURLToPath(import.meta.url));
const demo = path.resolve(here, '../public/demo/fashion-mnist');
const args = process.argv.slice(2);
const n = Number(args[args.indexOf('--n') + 1] ?? 2000) || 2000;

const bytes = readFileSync(path.join(demo, 'images.u8'));
const labels = Int32Array.from(readFileSync(path.join(demo, 'labels.u8')).subarray(0, n));
const dim = 28 * 28;
const x = Float32Array.from(bytes.subarray(0, n * dim), (v) => v / 255);

const split = stratifiedSplit(labels, 0.2, 42);
const t0 = performance.now();
const knnPixels = accuracy(knnUniform(x, dim, labels, split.train, split.val, 20).pred, labels, split.val);
const knnSeconds = (performance.now() - t0) / 1000;
const t1 = performance.now();
const tsne = new Tsne(x, dim);
const y = tsne.run();
const tsneSeconds = (performance.now() - t1) / 1000;
const trust = trustworthiness(x, dim, y, 2, 5);
const knn2d = accuracy(knnUniform(y, 2, labels, split.train, split.val, 20).pred, labels, split.val);
console.log(`dinolab, ${n} Fashion-MNIST demo images (pixels / 255, ${dim} dims), one Node thread:`);
console.log(`  k-NN (sklearn rule, k 20, stratified 80/20, seed 42) on pixels: accuracy ${knnPixels.toFixed(4)}, ${knnSeconds.toFixed(2)} s`);
console.log(`  t-SNE (${tsne.method}, sklearn defaults): ${tsneSeconds.toFixed(2)} s; trustworthiness(5) ${trust.toFixed(4)}; k-NN in 2-D ${knn2d.toFixed(4)}`);
