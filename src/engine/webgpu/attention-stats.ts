/**
 * What the attention gradient needs of each query row i, recomputed from qkv (the forward keeps
 * nothing but qkv): the row's max score m_i and sum l_i = sum_j e^(s_ij - m_i), so that
 * P_ij = e^(s_ij - m_i) / l_i, and delta_i = sum_j P_ij (dO_i . v_j), the softmax gradient's row
 * correction. Inputs qkv (B*N, 3D) and dy = dO (B*N, D); output (B, nh, N, 3) = (m, l, delta).
 *
 * Two passes over the keys (the max, then l and delta) rather than an online softmax: l is then the
 * sum of exactly the e^(s_ij - m_i) the gradient recomputes, so sum_j dS_ij = 0 to rounding, as in
 * tfjs's and PyTorch's softmax gradients. That sum is the gradient of the keys' bias, which is
 * zero in exact arithmetic; AdamW would magnify a larger rounding error into a step of lr.
 */
import { AttentionProgram, ROWS_PER_WORKGROUP, layoutWgsl, type AttentionShape } from './attention-layout';

/** Floats per row in the statistics: (m, l, delta). */
export const STATS_PER_ROW = 3;

export class AttentionStatsProgram extends AttentionProgram {
  variableNames = ['qkv', 'dy'];
  outputShape: number[];
  dispatch: [number, number, number];

  constructor(s: AttentionShape) {
    super('attention_stats', s.hd);
    this.outputShape = [s.B, s.nh, s.N, STATS_PER_ROW];
    this.dispatch = [Math.ceil(s.N / ROWS_PER_WORKGROUP), s.nh, s.B];
  }

  getUserCode(): string {
    return `
  ${layoutWgsl(this.hd)}

  var<workgroup> kTile : array<f32, TILE * HD>;  // (TILE, HD) keys of the current tile
  var<workgroup> vTile : array<f32, TILE * HD>;  // (TILE, HD) values of the current tile
  var<private> qi : array<f32, HD>;              // this thread's query row
  var<private> dOi : array<f32, HD>;             // and its output's gradient

  // Keys (and values, when asked) of tokens [k0, k0 + kn) of (b, h) into the tiles, by the whole workgroup.
  fn loadTile(b : i32, h : i32, k0 : i32, kn : i32, values : bool) {
    for (var e = i32(localIndex); e < kn * HD; e += ROWS) {
      let at = qkvAt(b, k0 + e / HD, 1, h) + e % HD;
      kTile[e] = qkv[at];
      if (values) {
        vTile[e] = qkv[at + uniforms.nh * HD];
      }
    }
  }

  fn scoreOf(j : i32) -> f32 {
    var qk = 0.0;
    for (var d = 0; d < HD; d++) {
      qk += qi[d] * kTile[j * HD + d];
    }
    return qk * uniforms.scale;
  }

  fn main() {
    let b = i32(workgroupId.z);
    let h = i32(workgroupId.y);
    let i = i32(workgroupId.x) * ROWS + i32(localIndex);  // query token
    let hasRow = i < uniforms.N;
    if (hasRow) {
      let at = qkvAt(b, i, 0, h);
      let g = mergedAt(b, i, h);
      for (var d = 0; d < HD; d++) {
        qi[d] = qkv[at + d];
        dOi[d] = dy[g + d];
      }
    }

    // Pass 1: the row's max score.
    var m = LOWEST;
    for (var k0 = 0; k0 < uniforms.N; k0 += TILE) {
      let kn = min(TILE, uniforms.N - k0);
      workgroupBarrier();  // every thread is done with the previous tile
      loadTile(b, h, k0, kn, false);
      workgroupBarrier();
      if (hasRow) {
        for (var j = 0; j < kn; j++) {
          m = max(m, scoreOf(j));
        }
      }
    }

    // Pass 2: l = sum_j e^(s_ij - m) and t = sum_j e^(s_ij - m) (dO_i . v_j); delta = t / l.
    var l = 0.0;
    var t = 0.0;
    for (var k0 = 0; k0 < uniforms.N; k0 += TILE) {
      let kn = min(TILE, uniforms.N - k0);
      workgroupBarrier();
      loadTile(b, h, k0, kn, true);
      workgroupBarrier();
      if (hasRow) {
        for (var j = 0; j < kn; j++) {
          let e = exp(scoreOf(j) - m);
          var dp = 0.0;
          for (var d = 0; d < HD; d++) {
            dp += dOi[d] * vTile[j * HD + d];
          }
          l += e;
          t += e * dp;
        }
      }
    }
    if (hasRow) {
      let dst = ((b * uniforms.nh + h) * uniforms.N + i) * ${STATS_PER_ROW};  // (B, nh, N, 3)
      result[dst] = m;
      result[dst + 1] = l;
      result[dst + 2] = t / l;
    }
  }
`;
  }
}
