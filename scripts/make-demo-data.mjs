#!/usr/bin/env node
/**
 * Writes the Fashion-MNIST demo subset the app ships with, under public/demo/fashion-mnist/:
 *   images.u8       2000 x 28 x 28 grayscale bytes, row-major: the first 200 training images of
 *                   each class, in file order (so batches of consecutive images mix the classes)
 *   labels.u8       2000 class indices
 *   test-images.u8  500 x 28 x 28: the first 50 t10k images of each class, for k-NN evaluation
 *   test-labels.u8  500 class indices
 *   meta.json       sizes, class names, the source indices of every image
 *   LICENSE         MIT, Zalando SE (the dataset's own licence)
 *
 * Input: the IDX files of the Debian package dataset-fashion-mnist (apt-get install -y
 * dataset-fashion-mnist), or the directory given as the first argument.
 * Usage: node scripts/make-demo-data.mjs [idx-dir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_CLASSES as CLASSES, FASHION_MNIST_DIR, readSplit } from './fashion-mnist.mjs';

const SRC = process.argv[2] ?? FASHION_MNIST_DIR;
const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'public', 'demo', 'fashion-mnist');
const TRAIN_PER_CLASS = 200;
const TEST_PER_CLASS = 50;

/** Indices of the first `perClass` images of each class, in file order. */
function balanced(labels, perClass) {
  const taken = new Array(CLASSES.length).fill(0);
  const picked = [];
  for (let i = 0; i < labels.length; i++) {
    if (taken[labels[i]] < perClass) {
      taken[labels[i]]++;
      picked.push(i);
    }
  }
  if (taken.some((t) => t < perClass)) throw new Error(`fewer than ${perClass} images in some class: ${taken}`);
  return picked;
}

function subset(split, perClass) {
  const file = split === 'train' ? 'train' : 't10k';
  const { height: h, width: w, images, labels } = readSplit(SRC, `${file}-images-idx3-ubyte.gz`, `${file}-labels-idx1-ubyte.gz`);
  if (h !== 28 || w !== 28) throw new Error(`${split}: images are ${w} x ${h}, expected 28 x 28`);
  const indices = balanced(labels, perClass);
  const outImages = new Uint8Array(indices.length * h * w);
  const outLabels = new Uint8Array(indices.length);
  indices.forEach((src, i) => {
    outImages.set(images.subarray(src * h * w, (src + 1) * h * w), i * h * w);
    outLabels[i] = labels[src];
  });
  // Length of the unbroken run 0, 1, 2, ... at the start: those images are the file's first ones, in order.
  let prefix = 0;
  while (indices[prefix] === prefix) prefix++;
  return { indices, images: outImages, labels: outLabels, prefix };
}

const train = subset('train', TRAIN_PER_CLASS);
const test = subset('test', TEST_PER_CLASS);

mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'images.u8'), train.images);
writeFileSync(join(OUT, 'labels.u8'), train.labels);
writeFileSync(join(OUT, 'test-images.u8'), test.images);
writeFileSync(join(OUT, 'test-labels.u8'), test.labels);

const meta = {
  name: 'Fashion-MNIST demo subset',
  description:
    `${train.indices.length} training images (the first ${TRAIN_PER_CLASS} of each class in file order) and ` +
    `${test.indices.length} test images (the first ${TEST_PER_CLASS} of each class of t10k) of Fashion-MNIST, ` +
    '28 x 28 grayscale, one byte per pixel, row-major. Labels index `classes`.',
  count: train.indices.length,
  width: 28,
  height: 28,
  channels: 1,
  classes: CLASSES,
  images: 'images.u8',
  labels: 'labels.u8',
  source: 'train',
  /** Position of each image in train-images-idx3-ubyte. */
  indices: train.indices,
  /** Images 0..prefix-1 here are train images 0..prefix-1 (fashion-bench trains on train 0..999). */
  prefix: train.prefix,
  test: {
    count: test.indices.length,
    images: 'test-images.u8',
    labels: 'test-labels.u8',
    source: 't10k',
    /** Position of each image in t10k-images-idx3-ubyte. */
    indices: test.indices,
    prefix: test.prefix,
  },
  origin: 'https://github.com/zalandoresearch/fashion-mnist (Debian package dataset-fashion-mnist)',
  license: 'MIT, Copyright (c) 2017 Zalando SE (see LICENSE)',
};
writeFileSync(join(OUT, 'meta.json'), JSON.stringify(meta) + '\n');

writeFileSync(
  join(OUT, 'LICENSE'),
  `The images and labels in this directory are a subset of Fashion-MNIST
(https://github.com/zalandoresearch/fashion-mnist), a dataset of Zalando's article images,
taken unchanged from the Debian package dataset-fashion-mnist.

The MIT License (MIT) Copyright © [2017] Zalando SE, https://tech.zalando.com

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the “Software”), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED “AS IS”, WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`,
);

console.log(
  `wrote ${OUT}: ${train.indices.length} train images (the first ${train.prefix} are train 0..${train.prefix - 1}), ` +
    `${test.indices.length} test images (the first ${test.prefix} are t10k 0..${test.prefix - 1})`,
);
