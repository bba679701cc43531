/**
 * Fused attention forward: softmax(Q K^T * scale) V of every head, one workgroup per (block of
 * ROWS queries, head, image), read straight from qkv (B*N, 3D) and written as merged heads.
 * Queries [q0, q0 + nq) only; output (B*nq, D), row b*nq + (t - q0). No (N, N) matrix is stored.
 */
import { AttentionProgram, ROWS_PER_WORKGROUP, layoutWgsl, type AttentionShape } from './attention-layout';
import { ONLINE_SOFTMAX_WGSL } from './online-softmax';

export class AttentionForwardProgram extends AttentionProgram {
  variableNames = ['qkv'];
  outputShape: number[];
  dispatch: [number, number, number];

  constructor(s: AttentionShape) {
    super('attention_forward', s.hd);
    this.outputShape = [s.B * s.nq, s.nh * s.hd];
    this.dispatch = [Math.ceil(s.nq / ROWS_PER_WORKGROUP), s.nh, s.B];
  }

  getUserCode(): string {
    return `
  ${layoutWgsl(this.hd)}
  ${ONLINE_SOFTMAX_WGSL}

  fn main() {
    let b = i32(workgroupId.z);
    let h = i32(workgroupId.y);
    let r = i32(workgroupId.x) * ROWS + i32(localIndex);  // query row within [q0, q0 + nq)
    let hasRow = r < uniforms.nq;
    let t = uniforms.q0 + r;                                // its token
    if (hasRow) {
      let at = qkvAt(b, t, 0, h);
      for (var d = 0; d < HD; d++) {
        q[d] = qkv[at + d];
      }
    }
    let row = attendRow(b, h, hasRow);
    if (hasRow) {
      let dst = queryRowAt(b, t, h);  // (B*nq, D)
      for (var d = 0; d < HD; d++) {
        result[dst + d] = acc[d] / row.l;
      }
    }
  }
`;
  }
}
