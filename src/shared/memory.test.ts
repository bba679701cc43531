import { describe, expect, it } from 'vitest';
import { LIMITS, runPresets } from './config';
import { estimateTrainingMemory, memoryRefusal, paramCount } from './memory';

describe('memory refusal', () => {
  const big = { ...runPresets.tiny, train: { ...runPresets.tiny.train, batchSize: 512 } };

  it('refuses a run that cannot fit the wasm heap, naming the estimate and a batch size that fits', () => {
    const why = memoryRefusal(big, 'wasm');
    expect(why).toMatch(/needs about \d+\.\d\d GiB .* more than the 3\.50 GiB the wasm backend can hold: lower the batch size to (\d+) or less/);
    const fits = Number(/batch size to (\d+)/.exec(why!)![1]);
    expect(memoryRefusal({ ...big, train: { ...big.train, batchSize: fits } }, 'wasm')).toBeNull();
    expect(memoryRefusal({ ...big, train: { ...big.train, batchSize: fits + 1 } }, 'wasm')).not.toBeNull();
  });

  it('never suggests a batch size above the batch field\'s own limit', () => {
    // nano at 4096 needs ~13 GiB; about 1076 would fit the heap, more than the field allows.
    const nano = runPresets.nano;
    const fits = Number(/batch size to (\d+)/.exec(memoryRefusal({ ...nano, train: { ...nano.train, batchSize: 4096 } }, 'wasm')!)![1]);
    expect(fits).toBe(LIMITS.maxBatchSize);
  });

  it('lets the presets through, and bounds nothing on GPU backends', () => {
    for (const p of ['nano', 'tiny'] as const) expect(memoryRefusal(runPresets[p], 'wasm')).toBeNull();
    expect(memoryRefusal(big, 'webgpu')).toBeNull();
  });

  it('counts the parameters of a ViT-S/16 backbone as the released one has (21.7 M)', () => {
    const cfg = { ...runPresets.finetune };
    expect(paramCount(cfg).backbone).toBeGreaterThan(21.6e6);
    expect(paramCount(cfg).backbone).toBeLessThan(21.8e6);
    expect(estimateTrainingMemory(cfg, true).stateBytes).toBe(4 * 5 * (paramCount(cfg).backbone + paramCount(cfg).head));
  });
});
