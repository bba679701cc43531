/** Types of fashion-mnist.mjs (see there). */
export declare const FASHION_MNIST_DIR: string;
export declare const FASHION_CLASSES: readonly string[];

export interface IdxSplit {
  count: number;
  height: number;
  width: number;
  /** count x height x width bytes, row-major. */
  images: Uint8Array;
  /** count class indices. */
  labels: Uint8Array;
}
export declare function readSplit(dir: string, imagesFile: string, labelsFile: string): IdxSplit;
