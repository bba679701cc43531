/**
 * Fashion-MNIST as its IDX files hold it (the Debian package dataset-fashion-mnist installs them
 * gzipped in /usr/share/datasets/fashion-mnist): read by scripts/make-demo-data.mjs (the demo
 * subset the app ships) and scripts/fashion-bench.ts (the learning benchmark). Plain JavaScript so
 * that Node runs it without a build; fashion-mnist.d.mts gives its types.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Where the Debian package puts the files. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** Label names from the dataset's README, in label order. */
export const FASHION_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/**
 * Reads a gzipped IDX file: a big-endian magic 0x000008RR (08 = unsigned bytes, RR = rank), RR
 * big-endian uint32 dimensions, then the bytes, row-major. Throws unless the file has that type,
 * the given rank and exactly the bytes its dimensions say.
 */
function readIdx(file, rank) {
  const buf = gunzipSync(readFileSync(file));
  const magic = buf.readUInt32BE(0);
  if (magic !== (0x0800 | rank)) {
    throw new Error(`${file}: IDX magic 0x${magic.toString(16)}, expected 0x${(0x0800 | rank).toString(16)} (unsigned bytes, rank ${rank})`);
  }
  const dims = Array.from({ length: rank }, (_, i) => buf.readUInt32BE(4 + 4 * i));
  const offset = 4 + 4 * rank;
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length - offset !== size) throw new Error(`${file}: ${buf.length - offset} data bytes, header says ${size}`);
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, size) };
}

/**
 * One split: `images` count x height x width grayscale bytes and `labels` count class indices,
 * from the two IDX files in `dir` (e.g. train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz).
 */
export function readSplit(dir, imagesFile, labelsFile) {
  const images = readIdx(join(dir, imagesFile), 3);
  const labels = readIdx(join(dir, labelsFile), 1);
  const [count, height, width] = images.dims;
  if (labels.dims[0] !== count) throw new Error(`${imagesFile} has ${count} images but ${labelsFile} ${labels.dims[0]} labels`);
  return { count, height, width, images: images.data, labels: labels.data };
}
