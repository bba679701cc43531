/**
 * Bicubic interpolation of the learned position table, exactly as the official
 * `VisionTransformer.interpolate_pos_encoding` does it with PyTorch's `interpolate(mode='bicubic')`.
 *
 * tfjs has no bicubic resize, so the resize is a fixed matrix Kmat [h*w, n*n] (built once per grid
 * and cached) and the interpolated table is Kmat @ table: an ordinary matMul, differentiable with
 * respect to the table.
 */
import * as tf from '@tensorflow/tfjs';

/** PyTorch's cubic convolution coefficient. */
const A = -0.75;

function cubicNear(x: number): number {
  return ((A + 2) * x - (A + 3)) * x * x + 1;
}

function cubicFar(x: number): number {
  return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A;
}

/**
 * 1-D bicubic resize operator [outSize, inSize] with align_corners=False and no antialiasing.
 * When the caller gives a scale factor (as DINO does), sampling positions use 1/scale, not in/out:
 * output index i samples input coordinate (i + 0.5) / scale - 0.5. Neighbour indices clamp to the border.
 */
export function bicubicMatrix1d(inSize: number, outSize: number, scale: number): Float64Array {
  const m = new Float64Array(outSize * inSize);
  for (let i = 0; i < outSize; i++) {
    const src = (i + 0.5) / scale - 0.5;
    const i0 = Math.floor(src);
    const t = src - i0;
    const weights = [cubicFar(t + 1), cubicNear(t), cubicNear(1 - t), cubicFar(2 - t)];
    for (let k = 0; k < 4; k++) {
      const j = Math.min(Math.max(i0 - 1 + k, 0), inSize - 1);
      m[i * inSize + j] += weights[k];
    }
  }
  return m;
}

/**
 * The 2-D operator kron(My, Mx) for DINO's interpolation of an n x n grid to rows x cols, using the
 * official scale factors (rows + 0.1) / n and (cols + 0.1) / n (the +0.1 avoids float rounding of
 * the output size). Returned as float32 [rows*cols, n*n], row-major grids on both sides.
 */
export function posEmbedInterpolationMatrix(n: number, rows: number, cols: number): Float32Array {
  const sy = (rows + 0.1) / n;
  const sx = (cols + 0.1) / n;
  if (Math.floor(n * sy) !== rows || Math.floor(n * sx) !== cols) {
    throw new Error(`bicubic output size ${Math.floor(n * sy)}x${Math.floor(n * sx)} != ${rows}x${cols}`);
  }
  const my = bicubicMatrix1d(n, rows, sy);
  const mx = bicubicMatrix1d(n, cols, sx);
  const out = new Float32Array(rows * cols * n * n);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const r = (i * cols + j) * n * n;
      for (let a = 0; a < n; a++) {
        const wy = my[i * n + a];
        if (wy === 0) continue;
        for (let b = 0; b < n; b++) out[r + a * n + b] = wy * mx[j * n + b];
      }
    }
  }
  return out;
}

/** Cached device copies of the interpolation matrices, keyed by backend and grid. */
const cache = new Map<string, tf.Tensor2D>();

function cachedMatrix(n: number, rows: number, cols: number): tf.Tensor2D {
  const key = `${tf.getBackend()}:${n}:${rows}x${cols}`;
  let m = cache.get(key);
  if (!m || m.isDisposed) {
    m = tf.tensor2d(posEmbedInterpolationMatrix(n, rows, cols), [rows * cols, n * n]);
    tf.keep(m);
    cache.set(key, m);
  }
  return m;
}

/** Frees the cached matrices (when the backend changes, or in leak tests). */
export function clearPosEmbedCache(): void {
  for (const m of cache.values()) {
    try {
      m.dispose();
    } catch {
      // its backend is gone (a lost device, an aborted heap): nothing left to free
    }
  }
  cache.clear();
}

/**
 * Position embedding for a rows x cols patch grid: posEmbed [1, 1 + n*n, D] -> [1, 1 + rows*cols, D].
 * The stored table is used unchanged only for a square grid with the same token count (the
 * official condition); every other grid, including smaller square ones, is interpolated.
 */
export function interpolatePosEmbed(posEmbed: tf.Tensor, rows: number, cols: number): tf.Tensor3D {
  const [one, tokens, dim] = posEmbed.shape;
  const nPatches = tokens - 1;
  const n = Math.round(Math.sqrt(nPatches));
  if (one !== 1 || n * n !== nPatches) {
    throw new Error(`pos_embed must be [1, 1 + n*n, D], got [${posEmbed.shape.join(', ')}]`);
  }
  if (rows * cols === nPatches && rows === cols) return posEmbed as tf.Tensor3D;
  return tf.tidy(() => {
    const cls = tf.slice(posEmbed, [0, 0, 0], [1, 1, dim]);
    const table = tf.reshape(tf.slice(posEmbed, [0, 1, 0], [1, nPatches, dim]), [nPatches, dim]);
    const resized = tf.matMul(cachedMatrix(n, rows, cols), table); // (rows*cols, D)
    return tf.concat([cls, tf.reshape(resized, [1, rows * cols, dim])], 1) as tf.Tensor3D;
  });
}
