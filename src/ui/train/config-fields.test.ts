import { describe, expect, it } from 'vitest';
import { runPresets, validateConfig } from '../../shared/config';
import { getPath, setPath } from '../../shared/config-fields';
import { FIELD_GROUPS, issuesByField, paperDefault } from './config-fields';

describe('config fields', () => {
  it('cover every leaf of RunConfig exactly once', () => {
    const leaves: string[] = [];
    const walk = (o: Record<string, unknown>, prefix: string) => {
      for (const [k, v] of Object.entries(o)) {
        const p = prefix ? `${prefix}.${k}` : k;
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) walk(v as Record<string, unknown>, p);
        else leaves.push(p);
      }
    };
    walk(runPresets.nano as unknown as Record<string, unknown>, '');
    const paths = FIELD_GROUPS.flatMap((g) => g.fields.map((f) => f.path));
    expect([...paths].sort()).toEqual([...leaves].sort());
  });

  it('reads and writes nested paths without touching the original', () => {
    const c = setPath(runPresets.nano, 'train.lr', 0.001);
    expect(getPath(c, 'train.lr')).toBe(0.001);
    expect(runPresets.nano.train.lr).toBe(0.0005);
    expect(c.model).toBe(runPresets.nano.model);
  });

  it('shows the paper value from the official recipe', () => {
    expect(paperDefault('head.outDim')).toBe('65536');
    expect(paperDefault('augment.localScale')).toBe('0.05, 0.4');
    expect(paperDefault('train.centering')).toBe('on');
    expect(paperDefault('train.metricsEvery')).toBeNull();
  });

  it('files validation issues under their field', () => {
    const bad = setPath(setPath(runPresets.nano, 'model.numHeads', 3), 'augment.blurP', [2, 0.1, 0.5]);
    const byField = issuesByField(validateConfig(bad));
    expect(byField.get('model.numHeads')).toEqual(['the width D (64) must be divisible by the number of heads (3)']);
    expect(byField.get('augment.blurP')).toEqual(['global 1: must be in [0, 1], got 2']);
    const other = issuesByField([{ path: 'somewhere.else', message: 'is wrong' }]);
    expect(other.get('')).toEqual(['somewhere.else: is wrong']);
  });

  it('has a field for every path validateConfig can name', () => {
    const known = new Set(FIELD_GROUPS.flatMap((g) => g.fields.map((f) => f.path)));
    // Every number set to NaN: each field reports itself.
    let broken = runPresets.nano;
    for (const f of FIELD_GROUPS.flatMap((g) => g.fields)) {
      if (f.kind === 'bool') continue;
      const v = getPath(broken, f.path);
      broken = setPath(broken, f.path, Array.isArray(v) ? v.map(() => NaN) : NaN);
    }
    const paths = new Set(validateConfig(broken, 100).map((i) => i.path));
    for (const p of paths) expect(known.has(p), p).toBe(true);
    for (const f of FIELD_GROUPS.flatMap((g) => g.fields)) if (f.kind !== 'bool') expect(paths.has(f.path), f.path).toBe(true);
  });
});
