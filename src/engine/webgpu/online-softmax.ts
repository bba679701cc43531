/**
 * WGSL: one query row attends over every key of its (image, head) with the online softmax, so the
 * row of N scores is never stored (Milakov & Gimelshein 2018; FlashAttention). Keys and values
 * pass through workgroup memory one tile at a time, shared by the workgroup's ROWS queries.
 *
 * For each tile of keys j, with scores s_j = (q . k_j) * scale and m the running max:
 *   m' = max(m, max_j s_j);   l' = l e^(m - m') + sum_j e^(s_j - m');   acc' = acc e^(m - m') + sum_j e^(s_j - m') v_j
 * and after the last tile softmax(s) V = acc / l.
 */
export const ONLINE_SOFTMAX_WGSL = `
  var<workgroup> kTile : array<f32, TILE * HD>;   // (TILE, HD) keys of the current tile
  var<workgroup> vTile : array<f32, TILE * HD>;   // (TILE, HD) values of the current tile
  var<private> q : array<f32, HD>;                // this thread's query row
  var<private> acc : array<f32, HD>;              // sum_j e^(s_j - m) v_j, not yet divided by l

  struct RowSoftmax {
    m : f32,   // max of the row's scores
    l : f32,   // sum_j e^(s_j - m)
  }

  // Keys and values of tokens [k0, k0 + kn) of (b, h) into the tiles, by the whole workgroup.
  fn loadKeyValueTile(b : i32, h : i32, k0 : i32, kn : i32) {
    for (var e = i32(localIndex); e < kn * HD; e += ROWS) {
      let j = e / HD;
      let at = qkvAt(b, k0 + j, 1, h) + e % HD;
      kTile[e] = qkv[at];
      vTile[e] = qkv[at + uniforms.nh * HD];
    }
  }

  // Attends with q over every key of (b, h); leaves softmax(s) V * l in acc. Every thread of the
  // workgroup must call it (it loads tiles between barriers); hasRow says whether its row exists.
  fn attendRow(b : i32, h : i32, hasRow : bool) -> RowSoftmax {
    var m = LOWEST;
    var l = 0.0;
    for (var d = 0; d < HD; d++) {
      acc[d] = 0.0;
    }
    for (var k0 = 0; k0 < uniforms.N; k0 += TILE) {
      let kn = min(TILE, uniforms.N - k0);
      workgroupBarrier();  // every thread is done with the previous tile
      loadKeyValueTile(b, h, k0, kn);
      workgroupBarrier();
      if (hasRow) {
        var s : array<f32, TILE>;
        var tileMax = LOWEST;
        for (var j = 0; j < kn; j++) {
          var qk = 0.0;
          for (var d = 0; d < HD; d++) {
            qk += q[d] * kTile[j * HD + d];
          }
          s[j] = qk * uniforms.scale;
          tileMax = max(tileMax, s[j]);
        }
        let mNew = max(m, tileMax);
        let rescale = exp(m - mNew);
        l *= rescale;
        for (var d = 0; d < HD; d++) {
          acc[d] *= rescale;
        }
        for (var j = 0; j < kn; j++) {
          let p = exp(s[j] - mNew);
          l += p;
          for (var d = 0; d < HD; d++) {
            acc[d] += p * vTile[j * HD + d];
          }
        }
        m = mNew;
      }
    }
    return RowSoftmax(m, l);
  }
`;
