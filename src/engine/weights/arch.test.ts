import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TensorMap } from '../../shared/host-tensor';
import { backboneShapes, headShapes, type ShapeTable } from '../../shared/param-shapes';
import { checkBackboneShapes, checkHeadShapes, inferHeadConfig, inferViTConfig } from './arch';
import { readSafetensors } from './safetensors';
import { f32, golden, goldenDir } from '../../test-support/weights';

const manifest = JSON.parse(readFileSync(path.join(goldenDir(), 'manifest.json'), 'utf8'));
const backbone = () => readSafetensors(golden('backbone.safetensors')).tensors;

/** Zero-filled tensors with the given shapes. */
function synthetic(shapes: ShapeTable): TensorMap {
  return new Map(shapes.map(([n, s]) => [n, f32(s, new Array(s.reduce((a, b) => a * b, 1)).fill(0))]));
}

describe('inferViTConfig', () => {
  it('reads the golden architecture from shapes (heads from the hint)', () => {
    const c = manifest.config;
    expect(inferViTConfig(backbone(), { numHeads: c.num_heads })).toEqual({
      patchSize: c.patch_size, imgSize: c.global_size, embedDim: c.embed_dim, depth: c.depth, numHeads: c.num_heads,
      mlpRatio: c.mlp_ratio, qkvBias: c.qkv_bias, lnEps: c.ln_eps,
    });
  });

  it('uses head dim 64 only for the official shapes when no hint is given, and asks otherwise', () => {
    const vitT16 = { patchSize: 16, imgSize: 224, embedDim: 192, depth: 12, numHeads: 3, mlpRatio: 4, qkvBias: true, lnEps: 1e-6 };
    expect(inferViTConfig(synthetic(backboneShapes(vitT16)))).toEqual(vitT16);
    // One block of ViT-S width is no released model: 6 heads would be a guess.
    const oneBlock = synthetic(backboneShapes({ ...vitT16, embedDim: 384, depth: 1 }));
    expect(() => inferViTConfig(oneBlock)).toThrow(/cannot tell the number of attention heads of this width-384, depth-1 backbone.*please give it/);
    expect(() => inferViTConfig(backbone())).toThrow(/cannot tell the number of attention heads of this width-48, depth-2 backbone.*please give it/);
    expect(() => inferViTConfig(backbone(), { numHeads: 5 })).toThrow(/5 attention heads do not divide the width 48/);
  });

  it('takes the depth from a consistent set of block indices, never from the largest alone', () => {
    const stray = backbone().set('blocks.16777215.norm1.weight', f32([48]));
    expect(() => inferViTConfig(stray, { numHeads: 3 })).toThrow(/the blocks are not numbered 0\.\.2: unexpected block indices 16777215/);
    const gap = new Map([...backbone()].filter(([k]) => !k.startsWith('blocks.0.')));
    expect(() => inferViTConfig(gap, { numHeads: 3 })).toThrow(/not numbered 0\.\.0: unexpected block indices 1/);
    const padded = backbone().set('blocks.01.norm1.weight', f32([48]));
    expect(() => inferViTConfig(padded, { numHeads: 3 })).toThrow(/unexpected block indices 01/);
  });

  it('infers qkv bias, mlp ratio and image size', () => {
    const arch = { patchSize: 8, imgSize: 48, embedDim: 16, depth: 3, numHeads: 2, mlpRatio: 2, qkvBias: false, lnEps: 1e-6 };
    expect(inferViTConfig(synthetic(backboneShapes(arch)), { numHeads: 2 })).toEqual(arch);
  });

  it('rejects a position table that is not a square grid', () => {
    const t = backbone();
    t.set('pos_embed', f32([1, 16, 48]));
    expect(() => inferViTConfig(t, { numHeads: 3 })).toThrow(/"pos_embed" has shape \[1, 16, 48\]: expected \[1, 1 \+ n\*n, D\]/);
  });
});

describe('checkBackboneShapes', () => {
  const arch = inferViTConfig(backbone(), { numHeads: 3 });

  it('accepts the golden backbone', () => {
    expect(() => checkBackboneShapes(backbone(), arch)).not.toThrow();
  });

  it('names every missing, unexpected and mis-shaped tensor', () => {
    const t = backbone();
    t.delete('blocks.1.norm2.bias');
    t.delete('norm.weight');
    t.set('blocks.0.ls1.gamma', f32([48]));
    t.set('blocks.0.mlp.fc1.weight', f32([191, 48]));
    let message = '';
    try {
      checkBackboneShapes(t, arch);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('missing: blocks.1.norm2.bias, norm.weight');
    expect(message).toContain('unexpected: blocks.0.ls1.gamma');
    expect(message).toContain('blocks.0.mlp.fc1.weight has shape [191, 48], expected [192, 48]');
  });
});

describe('inferHeadConfig', () => {
  it('reads the golden head architecture', () => {
    const head = readSafetensors(golden('head.safetensors')).tensors;
    const c = manifest.config;
    const cfg = inferHeadConfig(head);
    expect(cfg).toEqual({ outDim: c.out_dim, hiddenDim: c.hidden_dim, bottleneckDim: c.bottleneck_dim, nlayers: c.nlayers, normLastLayer: true });
    expect(() => checkHeadShapes(head, cfg, c.embed_dim)).not.toThrow();
    expect(() => checkHeadShapes(head, cfg, 32)).toThrow(/mlp.0.weight has shape \[64, 48\], expected \[64, 32\]/);
  });

  it('handles nlayers = 1 (mlp is one Linear) and 2', () => {
    for (const nlayers of [1, 2]) {
      const cfg = { outDim: 10, hiddenDim: nlayers === 1 ? 4 : 12, bottleneckDim: 4, nlayers, normLastLayer: true };
      expect(inferHeadConfig(synthetic(headShapes(8, cfg)))).toEqual(cfg);
    }
  });

  it('refuses a batch-norm head', () => {
    const cfg = { outDim: 10, hiddenDim: 12, bottleneckDim: 4, nlayers: 2, normLastLayer: true };
    const head = synthetic(headShapes(8, cfg));
    head.set('mlp.1.running_mean', f32([12]));
    expect(() => inferHeadConfig(head)).toThrow(/batch norm/);
  });
});
