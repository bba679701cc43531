import { describe, expect, it } from 'vitest';
import { runPresets } from '../../shared/config';
import { defaultSettings, mergeStored, parseSettings, persistable } from './settings';

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
    expect(parseSettings(null)).toEqual({ settings: defaultSettings, notices: [] });
    expect(parseSettings('{oops').settings).toBe(defaultSettings);
    expect(parseSettings('{oops').notices).toEqual(['The stored settings could not be read; the defaults are used.']);
  });

  it('restores a saved config and settings, repairing bad enums', () => {
    const saved = {
      ...defaultSettings,
      config: { ...runPresets.tiny, train: { ...runPresets.tiny.train, batchSize: 4 } },
      preset: 'tiny',
      tab: 'nonsense',
      attention: { ...defaultSettings.attention, colormap: 'jet', hiddenHeads: [1, 'x', 2] },
    };
    const { settings: s, notices } = parseSettings(JSON.stringify(saved));
    expect(notices).toEqual([]);
    expect(s.config.train.batchSize).toBe(4);
    expect(s.config.model.embedDim).toBe(192);
    expect(s.preset).toBe('tiny');
    expect(s.tab).toBe('data');
    expect(s.attention.colormap).toBe('viridis');
    expect(s.attention.hiddenHeads).toEqual([1, 2]);
  });

  // Issue 10, item 1: a stored Epochs of 0 blanked the page on every later visit.
  it('replaces a stored config that does not validate by its preset, and says so', () => {
    const saved = { ...defaultSettings, preset: 'tiny', configModified: true, config: { ...runPresets.tiny, train: { ...runPresets.tiny.train, epochs: 0 } } };
    const { settings, notices } = parseSettings(JSON.stringify(saved));
    expect(settings.config).toBe(runPresets.tiny);
    expect(settings.configModified).toBe(false);
    expect(notices).toEqual([
      'The stored configuration could not be used (Epochs: must be in [1, 1000], got 0); the tiny preset is loaded instead.',
    ]);
  });

  it('resets view settings outside their bounds to the defaults, and says so', () => {
    const saved = { ...defaultSettings, smoothing: 3, attention: { ...defaultSettings.attention, resolution: 100000 } };
    const { settings, notices } = parseSettings(JSON.stringify(saved));
    expect(settings.attention.resolution).toBe(defaultSettings.attention.resolution);
    expect(settings.smoothing).toBe(defaultSettings.smoothing);
    expect(notices).toHaveLength(2);
    expect(notices[0]).toBe('The stored attention resolution (100000) is outside [16, 1024]; it is reset to 224.');
  });
});

describe('persistable', () => {
  it('never writes a config with problems: the last valid one stays stored', () => {
    const previous = { ...defaultSettings, config: { ...runPresets.nano, seed: 7 } };
    const bad = { ...defaultSettings, tab: 'train' as const, config: { ...runPresets.nano, train: { ...runPresets.nano.train, lr: NaN } } };
    expect(persistable(bad, previous)).toEqual({ ...bad, config: previous.config });
    const good = { ...bad, config: { ...runPresets.nano, seed: 8 } };
    expect(persistable(good, previous)).toBe(good);
  });
});
