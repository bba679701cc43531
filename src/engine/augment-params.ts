/**
 * DINO's per-crop random choices, drawn on the CPU from the run's Rng (a few numbers per crop,
 * never full-size noise): the random resized crop (torchvision `RandomResizedCrop.get_params`),
 * the flip, the colour jitter's factors and op order (`ColorJitter`), grayscale, the blur sigma
 * and solarization, with the official probabilities per crop kind (`DataAugmentationDINO`).
 */
import type { AugmentConfig } from '../shared/config';
import type { Rng } from '../shared/rng';

/** Which crop of the multi-crop set: the blur probability and solarization depend on it. */
export type CropKind = 'global1' | 'global2' | 'local';

/** A crop rectangle in pixels of the image (torchvision's i, j, h, w). */
export interface CropRect {
  top: number;
  left: number;
  height: number;
  width: number;
}

export interface JitterParams {
  /** The four ops in the order they are applied, numbered as torchvision's ColorJitter (`fn_idx`):
   *  0 brightness, 1 contrast, 2 saturation, 3 hue. */
  order: [number, number, number, number];
  /** Multiplicative factors (1 = unchanged) and the hue shift in turns (0 = unchanged). */
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

export interface CropParams {
  rect: CropRect;
  flip: boolean;
  /** null when colour jitter is not applied to this crop. */
  jitter: JitterParams | null;
  grayscale: boolean;
  /** Blur sigma in pixels of the output crop; 0 = no blur. */
  blurSigma: number;
  solarize: boolean;
}

/** Python's round(): halves go to the even neighbour (torchvision rounds crop sides with it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * torchvision `RandomResizedCrop.get_params`: up to 10 tries of an area fraction uniform in `scale`
 * and an aspect ratio (width / height) log-uniform in `ratio`; if none fits the image, the central
 * crop with the aspect ratio clamped to `ratio`.
 */
export function sampleCropRect(
  rng: Rng,
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
): CropRect {
  const area = height * width;
  const logRatio = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logRatio[0], logRatio[1]));
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = rng.int(height - h + 1);
      const left = rng.int(width - w + 1);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width;
  let h = height;
  if (inRatio < ratio[0]) {
    h = roundHalfEven(w / ratio[0]);
  } else if (inRatio > ratio[1]) {
    w = roundHalfEven(h * ratio[1]);
  }
  return { top: Math.floor((height - h) / 2), left: Math.floor((width - w) / 2), height: h, width: w };
}

/**
 * Draws every random choice for one crop of an image whose valid region is height x width, in a
 * fixed order (crop, flip, jitter, grayscale, blur, solarize) so a seed fixes the whole crop.
 * Jitter factors follow torchvision ColorJitter: uniform in [max(0, 1 - s), 1 + s], hue in [-h, h];
 * an op with strength 0 is left out (it stays at its neutral value and draws nothing).
 */
export function drawCropParams(rng: Rng, kind: CropKind, height: number, width: number, cfg: AugmentConfig): CropParams {
  const rect = sampleCropRect(rng, height, width, kind === 'local' ? cfg.localScale : cfg.globalScale, cfg.ratio);
  const flip = rng.bernoulli(cfg.flipP);
  let jitter: JitterParams | null = null;
  if (rng.bernoulli(cfg.jitterP)) {
    const p = rng.permutation(4);
    const factor = (s: number): number => (s > 0 ? rng.uniform(Math.max(0, 1 - s), 1 + s) : 1);
    jitter = {
      order: [p[0], p[1], p[2], p[3]],
      brightness: factor(cfg.brightness),
      contrast: factor(cfg.contrast),
      saturation: factor(cfg.saturation),
      hue: cfg.hue > 0 ? rng.uniform(-cfg.hue, cfg.hue) : 0,
    };
  }
  const grayscale = rng.bernoulli(cfg.grayscaleP);
  const blurP = cfg.blurP[kind === 'global1' ? 0 : kind === 'global2' ? 1 : 2];
  const blurSigma = rng.bernoulli(blurP) ? rng.uniform(cfg.blurSigma[0], cfg.blurSigma[1]) : 0;
  const solarize = kind === 'global2' && rng.bernoulli(cfg.solarizeP);
  return { rect, flip, jitter, grayscale, blurSigma, solarize };
}

/** A crop with no augmentation beyond the crop itself (evaluation views). */
export function plainCrop(rect: CropRect): CropParams {
  return { rect, flip: false, jitter: null, grayscale: false, blurSigma: 0, solarize: false };
}
