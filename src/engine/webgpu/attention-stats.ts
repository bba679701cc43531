/**
 * What the attention gradient needs of each query row i, recomputed from qkv (the forward keeps
 * nothing but qkv): its log-sum-exp L_i = m + log l, so that P_ij = e^(s_ij - L_i) anywhere, and
 * delta_i = sum_j P_ij (dO_i . v_j) = dO_i . O_i, the softmax gradient's row correction.
 * Inputs qkv (B*N, 3D) and dy = dO (B*N, D); output (B, nh, N, 2) = (L, delta).
 */
import { AttentionProgram, ROWS_PER_WORKGROUP, layoutWgsl, type AttentionShape } from './attention-layout';
import { ONLINE_SOFTMAX_WGSL } from './online-softmax';

export class AttentionStatsProgram extends AttentionProgram {
  variableNames = ['qkv', 'dy'];
  outputShape: number[];
  dispatch: [number, number, number];

  constructor(s: AttentionShape) {
    super('attention_stats', s.hd);
    this.outputShape = [s.B, s.nh, s.N, 2];
    this.dispatch = [Math.ceil(s.N / ROWS_PER_WORKGROUP), s.nh, s.B];
  }

  getUserCode(): string {
    return `
  ${layoutWgsl(this.hd)}
  ${ONLINE_SOFTMAX_WGSL}

  fn main() {
    let b = i32(workgroupId.z);
    let h = i32(workgroupId.y);
    let i = i32(workgroupId.x) * ROWS + i32(localIndex);  // query token
    let hasRow = i < uniforms.N;
    if (hasRow) {
      let at = qkvAt(b, i, 0, h);
      for (var d = 0; d < HD; d++) {
        q[d] = qkv[at + d];
      }
    }
    let row = attendRow(b, h, hasRow);
    if (hasRow) {
      let g = mergedAt(b, i, h);
      var delta = 0.0;
      for (var d = 0; d < HD; d++) {
        delta += dy[g + d] * acc[d];
      }
      let dst = ((b * uniforms.nh + h) * uniforms.N + i) * 2;  // (B, nh, N, 2)
      result[dst] = row.m + log(row.l);
      result[dst + 1] = delta / row.l;
    }
  }
`;
  }
}
