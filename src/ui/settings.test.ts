import { describe, expect, it } from 'vitest';
import { runPresets } from '../shared/config';
import { defaultSettings, mergeStored, parseSettings } from './settings';

describe('mergeStored', () => {
  it('takes stored leaves of the same type and drops the rest', () => {
    const base = { a: 1, b: true, c: 'x', d: [1, 2], e: { f: 2 } };
    expect(mergeStored(base, { a: 5, b: 'yes', c: 'y', d: [3, 4], e: { f: 'no' }, extra: 1 })).toEqual({
      a: 5,
      b: true,
      c: 'y',
      d: [3, 4],
      e: { f: 2 },
    });
  });

  it('rejects arrays of another length and non-finite numbers', () => {
    expect(mergeStored({ d: [1, 2], n: 1 }, { d: [1, 2, 3], n: null })).toEqual({ d: [1, 2], n: 1 });
  });
});

describe('parseSettings', () => {
  it('falls back to defaults on missing or broken JSON', () => {
    expect(parseSettings(null)).toBe(defaultSettings);
    expect(parseSettings('{oops')).toBe(defaultSettings);
  });

  it('restores a saved config and settings, repairing bad enums', () => {
    const saved = {
      ...defaultSettings,
      config: { ...runPresets.tiny, train: { ...runPresets.tiny.train, batchSize: 4 } },
      preset: 'tiny',
      tab: 'nonsense',
      attention: { ...defaultSettings.attention, colormap: 'jet', hiddenHeads: [1, 'x', 2] },
    };
    const s = parseSettings(JSON.stringify(saved));
    expect(s.config.train.batchSize).toBe(4);
    expect(s.config.model.embedDim).toBe(192);
    expect(s.preset).toBe('tiny');
    expect(s.tab).toBe('data');
    expect(s.attention.colormap).toBe('viridis');
    expect(s.attention.hiddenHeads).toEqual([1, 2]);
  });
});
