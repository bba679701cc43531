/**
 * Display helpers for attention maps: sizes, queries, the mean over heads, DINO's thresholded masks
 * (official `visualize_attention.py`) and colour-mapped RGBA heatmaps. Maps are [heads, rows, cols]
 * row-major float arrays, as in `AttentionResult.maps`.
 */

/** Pixel size [height, width] to ask for: square target x target, or the longer side = target
 *  keeping the image's aspect; each side rounded down to a multiple of the patch (at least one). */
export function attentionSize(
  imageWidth: number,
  imageHeight: number,
  target: number,
  mode: 'square' | 'keep-aspect',
  patch: number,
): [number, number] {
  const round = (v: number) => Math.max(patch, Math.floor(v / patch) * patch);
  if (mode === 'square') return [round(target), round(target)];
  const scale = target / Math.max(imageWidth, imageHeight);
  return [round(imageHeight * scale), round(imageWidth * scale)];
}

/** Query token of the patch at row r, column c (token 0 is CLS). */
export function patchQuery(r: number, c: number, cols: number): number {
  return 1 + r * cols + c;
}

/** Row and column of a patch query token; null for CLS. */
export function queryPatch(query: number, cols: number): [number, number] | null {
  if (query <= 0) return null;
  return [Math.floor((query - 1) / cols), (query - 1) % cols];
}

/** Mean over heads: [heads, P] -> [P]. */
export function meanOverHeads(maps: Float32Array, heads: number): Float32Array {
  const p = maps.length / heads;
  const out = new Float32Array(p);
  for (let h = 0; h < heads; h++) for (let i = 0; i < p; i++) out[i] += maps[h * p + i];
  for (let i = 0; i < p; i++) out[i] /= heads;
  return out;
}

/**
 * DINO's thresholded attention: per head, renormalise the patch attention to sum 1 and keep the
 * smallest set of most-attended patches whose mass reaches `keep` (e.g. 0.6). Returns [heads, P]
 * with 1 for kept patches. Ties keep the lower patch index first.
 */
export function thresholdMasks(maps: Float32Array, heads: number, keep: number): Uint8Array {
  const p = maps.length / heads;
  const out = new Uint8Array(maps.length);
  const order = new Int32Array(p);
  for (let h = 0; h < heads; h++) {
    const a = maps.subarray(h * p, (h + 1) * p);
    let total = 0;
    for (let i = 0; i < p; i++) total += Math.max(0, a[i]);
    if (!(total > 0)) continue;
    for (let i = 0; i < p; i++) order[i] = i;
    order.sort((i, j) => a[j] - a[i] || i - j);
    let mass = 0;
    for (let k = 0; k < p && mass < keep; k++) {
      out[h * p + order[k]] = 1;
      mass += Math.max(0, a[order[k]]) / total;
    }
  }
  return out;
}

/** Colour map: t in [0, 1] -> CSS colour (d3-scale-chromatic interpolators fit). */
export type Colormap = (t: number) => string;

/** Parse "rgb(r, g, b)" or "#rrggbb" into [r, g, b]. */
export function parseColor(css: string): [number, number, number] {
  const m = /rgba?\((\d+),\s*(\d+),\s*(\d+)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const hex = /^#([0-9a-f]{6})$/i.exec(css);
  if (hex) {
    const v = parseInt(hex[1], 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  throw new Error(`cannot parse colour ${css}`);
}

/** 256-entry RGB lookup table of a colour map. */
export function colormapLut(cmap: Colormap): Uint8Array {
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) lut.set(parseColor(cmap(i / 255)), i * 3);
  return lut;
}

/**
 * One map as RGBA pixels (rows x cols), min-max normalised, coloured through `lut`, with constant
 * alpha `opacity` in [0, 1]. When `mask` is given, patches outside it are fully transparent.
 */
export function heatmapRgba(
  map: ArrayLike<number>,
  lut: Uint8Array,
  opacity: number,
  mask?: ArrayLike<number>,
): Uint8ClampedArray<ArrayBuffer> {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < map.length; i++) {
    lo = Math.min(lo, map[i]);
    hi = Math.max(hi, map[i]);
  }
  const span = hi > lo ? hi - lo : 1;
  const out = new Uint8ClampedArray(map.length * 4);
  const alpha = Math.round(255 * opacity);
  for (let i = 0; i < map.length; i++) {
    const k = Math.round((255 * (map[i] - lo)) / span);
    out[i * 4] = lut[k * 3];
    out[i * 4 + 1] = lut[k * 3 + 1];
    out[i * 4 + 2] = lut[k * 3 + 2];
    out[i * 4 + 3] = mask && !mask[i] ? 0 : alpha;
  }
  return out;
}
