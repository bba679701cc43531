/**
 * Softmax probabilities of the queries [q0, q0 + nq): (B, nh, nq, N), what the inspector draws
 * (the CLS row: q0 = 0, nq = 1). One workgroup per (query, head, image); its ROWS threads share
 * the row's N keys. Two passes over the keys: each thread's running max and sum (online softmax),
 * combined across the workgroup, then the probabilities written. Nothing but the output is stored,
 * so one row of 3137 tokens costs 12.5 KB, where the full matrix would be 39 MB per head.
 */
import { AttentionProgram, layoutWgsl, type AttentionShape } from './attention-layout';

export class AttentionProbsProgram extends AttentionProgram {
  variableNames = ['qkv'];
  outputShape: number[];
  dispatch: [number, number, number];

  constructor(s: AttentionShape) {
    super('attention_probs', s.hd);
    this.outputShape = [s.B, s.nh, s.nq, s.N];
    this.dispatch = [s.nq, s.nh, s.B];
  }

  getUserCode(): string {
    return `
  ${layoutWgsl(this.hd)}

  var<workgroup> qRow : array<f32, HD>;     // the query
  var<workgroup> maxes : array<f32, ROWS>;  // each thread's running max, then the tree's
  var<workgroup> sums : array<f32, ROWS>;   // each thread's sum of e^(s - max)

  fn score(b : i32, h : i32, j : i32) -> f32 {
    let at = qkvAt(b, j, 1, h);
    var qk = 0.0;
    for (var d = 0; d < HD; d++) {
      qk += qRow[d] * qkv[at + d];
    }
    return qk * uniforms.scale;
  }

  fn main() {
    let r = i32(workgroupId.x);  // query row within [q0, q0 + nq)
    let h = i32(workgroupId.y);
    let b = i32(workgroupId.z);
    let lane = i32(localIndex);
    let N = uniforms.N;
    for (var d = lane; d < HD; d += ROWS) {
      qRow[d] = qkv[qkvAt(b, uniforms.q0 + r, 0, h) + d];
    }
    workgroupBarrier();

    // Pass 1: keys lane, lane + ROWS, ... with a running max m and sum l.
    var m = LOWEST;
    var l = 0.0;
    for (var j = lane; j < N; j += ROWS) {
      let s = score(b, h, j);
      let mNew = max(m, s);
      l = l * exp(m - mNew) + exp(s - mNew);
      m = mNew;
    }
    maxes[lane] = m;
    sums[lane] = l;
    workgroupBarrier();
    // Halve the (max, sum) pairs until one is left: the row's max and its sum of e^(s - max).
    for (var width = ROWS / 2; width > 0; width /= 2) {
      if (lane < width) {
        let m2 = max(maxes[lane], maxes[lane + width]);
        sums[lane] = sums[lane] * exp(maxes[lane] - m2) + sums[lane + width] * exp(maxes[lane + width] - m2);
        maxes[lane] = m2;
      }
      workgroupBarrier();
    }
    let rowMax = maxes[0];
    let rowSum = sums[0];

    // Pass 2: the probabilities, scores recomputed.
    let dst = ((b * uniforms.nh + h) * uniforms.nq + r) * N;  // (B, nh, nq, N)
    for (var j = lane; j < N; j += ROWS) {
      result[dst + j] = exp(score(b, h, j) - rowMax) / rowSum;
    }
  }
`;
  }
}
