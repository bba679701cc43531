/**
 * What the attention gradient needs of each query row i of [q0, q0 + nq), recomputed from qkv (the
 * forward keeps nothing but qkv): the row's max score m_i and sum l_i = sum_j e^(s_ij - m_i), so
 * that P_ij = e^(s_ij - m_i) / l_i, and delta_i = sum_j P_ij (dO_i . v_j), the softmax gradient's
 * row correction. Inputs qkv (B*N, 3D) and dy = dO (B*nq, D); output (B, nh, nq, 3) = (m, l, delta).
 *
 * Two passes over the keys (the max, then l and delta) rather than an online softmax: l is then the
 * sum of exactly the e^(s_ij - m_i) the gradient recomputes, so sum_j dS_ij = 0 to rounding, as in
 * tfjs's and PyTorch's softmax gradients. That sum is the gradient of the keys' bias, which is
 * zero in exact arithmetic; AdamW would magnify a larger rounding error into a step of lr. For the
 * same reason l and delta are compensated (Kahan) sums: one thread adds a row's N terms in turn,
 * and a plain float32 sum would leave sum_j dS_ij several times further from zero than tfjs's tree
 * reductions do (the CLS row alone at N = 130 showed it).
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
    this.outputShape = [s.B, s.nh, s.nq, STATS_PER_ROW];
    this.dispatch = [Math.ceil(s.nq / ROWS_PER_WORKGROUP), s.nh, s.B];
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

  // A float32 sum with its running rounding error (Kahan): add x with kahanAdd, read .sum.
  struct Kahan {
    sum : f32,
    c : f32,
  }

  fn kahanAdd(k : Kahan, x : f32) -> Kahan {
    let y = x - k.c;
    let s = k.sum + y;
    return Kahan(s, (s - k.sum) - y);
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
    let r = i32(workgroupId.x) * ROWS + i32(localIndex);  // query row within [q0, q0 + nq)
    let hasRow = r < uniforms.nq;
    let i = uniforms.q0 + r;                                // its token
    if (hasRow) {
      let at = qkvAt(b, i, 0, h);
      let g = queryRowAt(b, i, h);
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
    var l = Kahan(0.0, 0.0);
    var t = Kahan(0.0, 0.0);
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
          l = kahanAdd(l, e);
          t = kahanAdd(t, e * dp);
        }
      }
    }
    if (hasRow) {
      let dst = ((b * uniforms.nh + h) * uniforms.nq + r) * ${STATS_PER_ROW};  // (B, nh, nq, 3)
      result[dst] = m;
      result[dst + 1] = l.sum;
      result[dst + 2] = t.sum / l.sum;
    }
  }
`;
  }
}
