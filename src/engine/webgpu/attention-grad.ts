/**
 * Fused attention gradient of the queries i in [q0, q0 + nq) (all N in training; the CLS row alone
 * in the last block of a CLS-only forward): d(qkv) (B*N, 3D) from qkv, dO = dy (B*nq, D) and the
 * rows' statistics (B, nh, nq, 3) = (m, l, delta) of attention-stats.ts. Softmax rows are
 * recomputed tile by tile, so the (nq, N) matrix is never stored. With s_ij = (q_i . k_j) * scale:
 *
 *   P_ij = e^(s_ij - m_i) / l_i    dP_ij = dO_i . v_j    dS_ij = P_ij (dP_ij - delta_i)
 *   dq_i = scale sum_j dS_ij k_j     dk_j = scale sum_i dS_ij q_i     dv_j = sum_i P_ij dO_i
 *
 * and dq = 0 for tokens outside the range. One dispatch, two kinds of workgroup (z = 2 b + kind),
 * each over ROWS tokens of [0, N): kind 0 owns their q columns and runs over the keys (dq), kind 1
 * owns their k and v columns and runs over the range's queries (dk, dv). Each writes its own
 * columns of d(qkv), so no two threads write the same element.
 */
import { AttentionProgram, ROWS_PER_WORKGROUP, layoutWgsl, type AttentionShape } from './attention-layout';
import { STATS_PER_ROW } from './attention-stats';

export class AttentionGradProgram extends AttentionProgram {
  variableNames = ['qkv', 'dy', 'stats'];
  outputShape: number[];
  dispatch: [number, number, number];

  constructor(s: AttentionShape) {
    super('attention_grad', s.hd);
    this.outputShape = [s.B * s.N, 3 * s.nh * s.hd];  // every token's columns, zeros included
    this.dispatch = [Math.ceil(s.N / ROWS_PER_WORKGROUP), s.nh, 2 * s.B];
  }

  getUserCode(): string {
    return `
  ${layoutWgsl(this.hd)}

  // This thread's own token: kind 0 its query q_i and dO_i, kind 1 its key k_j and value v_j.
  var<private> ownA : array<f32, HD>;
  var<private> ownB : array<f32, HD>;
  var<private> ownStats : vec3<f32>;         // kind 0: (m_i, l_i, delta_i)
  // Its gradients: kind 0 dq_i (gradA), kind 1 dk_j (gradA) and dv_j (gradB); scale applied at the end.
  var<private> gradA : array<f32, HD>;
  var<private> gradB : array<f32, HD>;
  // The tile of other tokens: kind 0 keys (A) and values (B); kind 1 queries (A), dO rows (B), (m, l, delta).
  var<workgroup> tileA : array<f32, TILE * HD>;
  var<workgroup> tileB : array<f32, TILE * HD>;
  var<workgroup> tileStats : array<vec3<f32>, TILE>;

  // (m_i, l_i, delta_i) of query token i in [q0, q0 + nq).
  fn statsAt(b : i32, h : i32, i : i32) -> vec3<f32> {
    let at = ((b * uniforms.nh + h) * uniforms.nq + i - uniforms.q0) * ${STATS_PER_ROW};  // (B, nh, nq, 3)
    return vec3<f32>(stats[at], stats[at + 1], stats[at + 2]);
  }

  fn loadOwn(kind : i32, b : i32, h : i32, t : i32) {
    let at = qkvAt(b, t, kind, h);  // kind 0: q, kind 1: k
    for (var d = 0; d < HD; d++) {
      ownA[d] = qkv[at + d];
      if (kind == 0) {
        ownB[d] = dy[queryRowAt(b, t, h) + d];
      } else {
        ownB[d] = qkv[at + uniforms.nh * HD + d];
      }
    }
    if (kind == 0) {
      ownStats = statsAt(b, h, t);
    }
  }

  // Tokens [t0, t0 + n) into the tiles, by the whole workgroup: keys for kind 0, queries of the range for kind 1.
  fn loadTile(kind : i32, b : i32, h : i32, t0 : i32, n : i32) {
    for (var e = i32(localIndex); e < n * HD; e += ROWS) {
      let t = t0 + e / HD;
      if (kind == 0) {
        let at = qkvAt(b, t, 1, h) + e % HD;
        tileA[e] = qkv[at];                          // k
        tileB[e] = qkv[at + uniforms.nh * HD];       // v
      } else {
        tileA[e] = qkv[qkvAt(b, t, 0, h) + e % HD];  // q
        tileB[e] = dy[queryRowAt(b, t, h) + e % HD]; // dO
      }
    }
    if (kind == 1) {
      for (var e = i32(localIndex); e < n; e += ROWS) {
        tileStats[e] = statsAt(b, h, t0 + e);
      }
    }
  }

  // Kind 0, query i against the tile's keys j: dq_i += dS_ij k_j.
  fn accumulateQueryGrad(n : i32) {
    for (var j = 0; j < n; j++) {
      var qk = 0.0;
      var dp = 0.0;
      for (var d = 0; d < HD; d++) {
        qk += ownA[d] * tileA[j * HD + d];
        dp += ownB[d] * tileB[j * HD + d];
      }
      let ds = exp(qk * uniforms.scale - ownStats.x) / ownStats.y * (dp - ownStats.z);
      for (var d = 0; d < HD; d++) {
        gradA[d] += ds * tileA[j * HD + d];
      }
    }
  }

  // Kind 1, key j against the tile's queries i: dk_j += dS_ij q_i, dv_j += P_ij dO_i.
  fn accumulateKeyValueGrad(n : i32) {
    for (var i = 0; i < n; i++) {
      var qk = 0.0;
      var dp = 0.0;
      for (var d = 0; d < HD; d++) {
        qk += tileA[i * HD + d] * ownA[d];
        dp += tileB[i * HD + d] * ownB[d];
      }
      let st = tileStats[i];
      let p = exp(qk * uniforms.scale - st.x) / st.y;
      let ds = p * (dp - st.z);
      for (var d = 0; d < HD; d++) {
        gradA[d] += ds * tileA[i * HD + d];
        gradB[d] += p * tileB[i * HD + d];
      }
    }
  }

  fn main() {
    let kind = i32(workgroupId.z) % 2;
    let b = i32(workgroupId.z) / 2;
    let h = i32(workgroupId.y);
    let r0 = i32(workgroupId.x) * ROWS;
    let r = r0 + i32(localIndex);  // this thread's token: its query (kind 0) or key (kind 1)
    let qEnd = uniforms.q0 + uniforms.nq;
    // Kind 0 computes dq of the range's queries only; its other tokens get dq = 0, and a workgroup
    // holding none of the range loads no tiles.
    let works = kind == 1 || (r0 < qEnd && r0 + ROWS > uniforms.q0);
    let computes = r < uniforms.N && (kind == 1 || (r >= uniforms.q0 && r < qEnd));
    if (computes) {
      loadOwn(kind, b, h, r);
    }
    // Every barrier must be reached by the whole workgroup in uniform control flow, and WGSL's
    // analysis does not take the kind (from workgroupId) as uniform: so both kinds count tiles up
    // to N, kind 0's over the keys, kind 1's over the range's queries, which end after nq.
    for (var t0 = 0; t0 < uniforms.N; t0 += TILE) {
      let n = select(min(TILE, uniforms.N - t0), min(TILE, uniforms.nq - t0), kind == 1);  // <= 0: none left
      workgroupBarrier();  // every thread is done with the previous tile
      if (works && n > 0) {
        loadTile(kind, b, h, select(t0, uniforms.q0 + t0, kind == 1), n);
      }
      workgroupBarrier();
      if (computes && n > 0) {
        if (kind == 0) {
          accumulateQueryGrad(n);
        } else {
          accumulateKeyValueGrad(n);
        }
      }
    }
    if (r < uniforms.N) {
      let dst = qkvAt(b, r, kind, h);  // kind 0: dq columns; kind 1: dk, then dv one D further
      for (var d = 0; d < HD; d++) {
        result[dst + d] = gradA[d] * uniforms.scale;  // zero where the thread computed nothing
        if (kind == 1) {
          result[dst + uniforms.nh * HD + d] = gradB[d];
        }
      }
    }
  }
`;
  }
}
