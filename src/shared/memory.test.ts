import { describe, expect, it } from 'vitest';
import { modelPresets, runPresets } from './config';
import { estimateTrainingMemory, MEMORY_BUDGET_BYTES, memoryRefusal, paramCount, PLAN_SHARE, planMemory } from './memory';

describe('memory plan', () => {
  const big = { ...runPresets.tiny, train: { ...runPresets.tiny.train, batchSize: 1024 } };
  const budget = PLAN_SHARE * MEMORY_BUDGET_BYTES.wasm!;

  it('splits a batch too big for the wasm heap into the largest micro-batch that fits, keeping the batch size', () => {
    expect(estimateTrainingMemory(big, true).totalBytes).toBeGreaterThan(budget);
    const plan = planMemory(big, 'wasm')!;
    expect(plan.microBatch).toBeGreaterThan(1);
    expect(plan.microBatch).toBeLessThan(1024);
    expect(plan.totalBytes).toBeLessThanOrEqual(budget);
    expect(estimateTrainingMemory(big, true, plan.microBatch + 1).totalBytes).toBeGreaterThan(budget);
    expect(memoryRefusal(big, 'wasm')).toBeNull();
  });

  it('runs the whole batch when it fits, and on GPU backends', () => {
    for (const p of ['nano', 'tiny'] as const) expect(planMemory(runPresets[p], 'wasm')!.microBatch).toBe(runPresets[p].train.batchSize);
    expect(planMemory(big, 'webgpu')!.microBatch).toBe(1024);
    expect(memoryRefusal(big, 'webgpu')).toBeNull();
  });

  it('refuses only what cannot fit one image at a time, naming the estimate and what to reduce', () => {
    const huge = { ...runPresets.official, model: modelPresets['vit-base-8'], augment: { ...runPresets.official.augment, globalSize: 512 } };
    expect(planMemory(huge, 'wasm')).toBeNull();
    expect(memoryRefusal(huge, 'wasm')).toMatch(/even one image at a time, a step needs about \d+\.\d\d GiB .* more than the 3\.08 GiB the wasm backend can safely hold: use a smaller batch, fewer or smaller crops/);
  });

  it('counts the parameters of a ViT-S/16 backbone as the released one has (21.7 M)', () => {
    const cfg = { ...runPresets.finetune };
    expect(paramCount(cfg).backbone).toBeGreaterThan(21.6e6);
    expect(paramCount(cfg).backbone).toBeLessThan(21.8e6);
    expect(estimateTrainingMemory(cfg, true).stateBytes).toBe(4 * 5 * (paramCount(cfg).backbone + paramCount(cfg).head));
  });

  it('counts no qkv bias when the model has none, and a one-layer head as one Linear', () => {
    const cfg = runPresets.finetune;
    const noBias = { ...cfg, model: { ...cfg.model, qkvBias: false } };
    expect(paramCount(noBias).backbone).toBe(paramCount(cfg).backbone - cfg.model.depth * 3 * cfg.model.embedDim);
    const D = cfg.model.embedDim;
    const h = { ...cfg.head, nlayers: 1 };
    // head.mlp (D -> bottleneck) and the weight-normalised last layer (v and g).
    expect(paramCount({ ...cfg, head: h }).head).toBe(D * h.bottleneckDim + h.bottleneckDim + h.bottleneckDim * h.outDim + h.outDim);
  });
});
