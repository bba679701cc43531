/**
 * What every dinolab attention program for tfjs-backend-webgpu shares: the qkv layout, the tile
 * sizes, the uniforms, and the WebGPUProgram fields tfjs needs to compile and dispatch it.
 *
 * Legend as in vit.ts: B images, N tokens, nh heads, hd head width, D = nh * hd. qkv is (B*N, 3D):
 * row b*N + t holds token t of image b as [q | k | v], each nh consecutive groups of hd features.
 */
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** Rows (queries, or keys in the gradient) per workgroup: one per thread. */
export const ROWS_PER_WORKGROUP = 64;

/**
 * Keys (or queries) per tile in workgroup memory. Two tiles of KEY_TILE x hd floats take at most
 * 8 KiB, half of the 16 KiB of workgroup memory every WebGPU device has.
 */
export function keyTile(hd: number): number {
  return Math.min(32, Math.max(1, Math.floor(1024 / hd)));
}

/** Widest head the programs take: its q, k, v and gradient rows live in each thread's registers. */
export const MAX_HEAD_WIDTH = 128;

/** The problem one dispatch works on; scale = hd^-0.5 as the composite path multiplies it. */
export interface AttentionShape {
  B: number;
  N: number;
  nh: number;
  hd: number;
  /** Queries [q0, q0 + nq) are computed. */
  q0: number;
  nq: number;
}

/** The WGSL fields of the uniforms every program declares (after tfjs's own shapes and strides). */
export const ATTENTION_UNIFORMS = 'N : i32, nh : i32, q0 : i32, nq : i32, scale : f32,';

/** Values for ATTENTION_UNIFORMS, in the same order. */
export function attentionUniforms(s: AttentionShape): { type: string; data: number[] }[] {
  return [
    { type: 'int32', data: [s.N] },
    { type: 'int32', data: [s.nh] },
    { type: 'int32', data: [s.q0] },
    { type: 'int32', data: [s.nq] },
    { type: 'float32', data: [s.hd ** -0.5] },
  ];
}

/**
 * WGSL: constants and qkv indexing. Reads the `uniforms` struct that tfjs declares from
 * ATTENTION_UNIFORMS.
 */
export function layoutWgsl(hd: number): string {
  return `
  const HD = ${hd};                       // head width
  const ROWS = ${ROWS_PER_WORKGROUP};     // rows per workgroup, one per thread
  const TILE = ${keyTile(hd)};            // keys (or queries) per tile in workgroup memory
  const LOWEST = -3.402823e+38;           // running max before any score

  // Flat index into qkv (B*N, 3D) of feature 0 of head h, part 0 (q), 1 (k) or 2 (v), token t of image b.
  fn qkvAt(b : i32, t : i32, part : i32, h : i32) -> i32 {
    let D = uniforms.nh * HD;
    return (b * uniforms.N + t) * 3 * D + part * D + h * HD;
  }

  // Flat index into a merged (B*nq, D) tensor of the queries [q0, q0 + nq) (the output, its
  // gradient) of feature 0 of head h, query token t of image b.
  fn queryRowAt(b : i32, t : i32, h : i32) -> i32 {
    return (b * uniforms.nq + t - uniforms.q0) * uniforms.nh * HD + h * HD;
  }
`;
}

/**
 * The WebGPUProgram fields tfjs reads. The dispatch grid is set by hand (x: blocks of rows, y:
 * heads, z: images); the dispatch layout only tells tfjs that `main` takes no flat index.
 */
export abstract class AttentionProgram implements WebGPUProgram {
  abstract variableNames: string[];
  abstract outputShape: number[];
  abstract dispatch: [number, number, number];
  abstract getUserCode(): string;
  shaderKey: string;
  dispatchLayout = { x: [0], y: [1] };
  workgroupSize: [number, number, number] = [ROWS_PER_WORKGROUP, 1, 1];
  uniforms = ATTENTION_UNIFORMS;

  constructor(
    name: string,
    readonly hd: number,
  ) {
    if (!(hd >= 1 && hd <= MAX_HEAD_WIDTH)) throw new Error(`WebGPU attention takes head widths 1..${MAX_HEAD_WIDTH}, got ${hd}`);
    // tfjs adds the ranks and dtypes of the tensors to this key, not their sizes: the constants
    // compiled into the shader must be in it.
    this.shaderKey = `dinolab_${name}_hd${hd}`;
  }
}
