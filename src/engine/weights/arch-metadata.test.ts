/**
 * Issue 10, item 4: dinolab's own exports must reload with their architecture. Shapes cannot tell
 * the number of heads (qkv is [3D, D] for any), so a checkpoint.pth carries `dinolab.config`, and a
 * bare backbone that is not one of the official ViT-T/S/B shapes makes the loader ask.
 */
import { describe, expect, it } from 'vitest';
import type { HeadConfig, ViTConfig } from '../../shared/config';
import type { TensorMap } from '../../shared/host-tensor';
import { backboneShapes, headShapes, type ShapeTable } from '../../shared/param-shapes';
import { WeightsError } from './errors';
import { toOfficialCheckpoint } from './export';
import { loadWeights } from './layouts';
import { writePth } from './pth-writer';
import { f32 } from '../../test-support/weights';

const vit = (embedDim: number, numHeads: number, depth: number): ViTConfig => ({
  patchSize: 8, imgSize: 32, embedDim, depth, numHeads, mlpRatio: 4, qkvBias: true, lnEps: 1e-6,
});
const head: HeadConfig = { outDim: 64, hiddenDim: 64, bottleneckDim: 32, nlayers: 3, normLastLayer: true };

function tensors(shapes: ShapeTable): TensorMap {
  return new Map(shapes.map(([name, shape]) => [name, f32(shape)]));
}

describe('architecture metadata of dinolab exports', () => {
  const arch = vit(128, 4, 2); // width 128 with 4 heads: width / 64 would say 2
  const net = { backbone: tensors(backboneShapes(arch)), head: tensors(headShapes(arch.embedDim, head)) };

  it('a checkpoint.pth reloads with its number of heads, read from its dinolab.config entry', () => {
    const bytes = toOfficialCheckpoint({ student: net, teacher: net, epoch: 1, center: f32([1, 64]), arch, headArch: head });
    const w = loadWeights('dinolab-checkpoint-step5.pth', bytes);
    expect(w.arch).toEqual(arch);
    expect(w.headArch).toEqual(head);
    expect(w.unexpected).toEqual([]);
  });

  it('a bare backbone that is not an official shape is not guessed: the loader asks for the heads', () => {
    const bytes = writePth(net.backbone, 'backbone');
    expect(() => loadWeights('dinolab-teacher-backbone-step5.pth', bytes)).toThrow(WeightsError);
    expect(() => loadWeights('dinolab-teacher-backbone-step5.pth', bytes)).toThrow(/cannot tell the number of attention heads.*please give it/);
    expect(loadWeights('dinolab-teacher-backbone-step5.pth', bytes, { numHeads: 4 }).arch).toEqual(arch);
  });

  it('an official ViT-T shape (12 blocks, width 192) still gets width / 64 = 3 heads', () => {
    const tiny = vit(192, 3, 12);
    const w = loadWeights('dino_vittiny.pth', writePth(tensors(backboneShapes(tiny))));
    expect(w.arch.numHeads).toBe(3);
  });
});
