import { describe, expect, it } from 'vitest';
import { LIMITS, runPresets, validateConfig, type RunConfig } from './config';
import { buildSchedules } from './schedule';

const withTrain = (train: Partial<RunConfig['train']>, base = runPresets.nano): RunConfig => ({ ...base, train: { ...base.train, ...train } });
const paths = (c: RunConfig, datasetSize?: number) => validateConfig(c, datasetSize).map((i) => i.path);

describe('validateConfig', () => {
  it('accepts every preset, the official recipe included', () => {
    for (const [name, c] of Object.entries(runPresets)) expect(validateConfig(c, 2004), name).toEqual([]);
  });

  it('files each problem under its own field, with a message that names the value', () => {
    const issues = validateConfig(withTrain({ lr: 1e308, minLr: -1, warmupEpochs: -1 }));
    expect(issues).toEqual([
      { path: 'train.warmupEpochs', message: 'must be in [0, 20] (at most the epochs), got -1' },
      { path: 'train.lr', message: 'must be in [0, 1e+37] (the peak lr must stay a finite float32), got 1e+308' },
      { path: 'train.minLr', message: 'must be in [0, 1e+37] (the peak lr must stay a finite float32), got -1' },
    ]);
  });

  // Item 1 of issue 10: each of these threw inside the schedule charts and blanked the page.
  it('refuses the epochs that made the schedules throw, so they are never built', () => {
    for (const train of [{ epochs: 0 }, { epochs: 1e9 }, { epochs: 4, warmupEpochs: 5 }, { epochs: 2.5 }]) {
      const c = withTrain(train);
      expect(paths(c), JSON.stringify(train)).toContain(train.warmupEpochs ? 'train.warmupEpochs' : 'train.epochs');
    }
    expect(validateConfig(withTrain({ epochs: 1e9 }), 2004)).toEqual([{ path: 'train.epochs', message: 'must be in [1, 1000], got 1000000000' }]);
    // The same configs do throw in the schedules: the validation is what protects the charts.
    expect(() => buildSchedules(withTrain({ epochs: 4, warmupEpochs: 5 }).train, 10)).toThrow();
  });

  it('bounds a whole run by its number of steps once the dataset size is known', () => {
    const c = withTrain({ epochs: 1000, batchSize: 1 });
    expect(paths(c)).toEqual([]);
    const issues = validateConfig(c, 2004);
    expect(issues.map((i) => i.path)).toEqual(['train.epochs']);
    expect(issues[0].message).toContain(`limited to ${LIMITS.maxTotalSteps}`);
  });

  it('refuses unparsed input (NaN), which the form commits for text that is not a number', () => {
    expect(validateConfig(withTrain({ lr: NaN }))).toEqual([{ path: 'train.lr', message: 'not a number (got NaN)' }]);
  });

  it('bounds the local crops and says why', () => {
    const c: RunConfig = { ...runPresets.nano, augment: { ...runPresets.nano.augment, nLocalCrops: 1000 } };
    const [issue] = validateConfig(c);
    expect(issue.path).toBe('augment.nLocalCrops');
    expect(issue.message).toMatch(/^must be in \[0, 16\] \(the paper uses at most 10.*\), got 1000$/);
  });

  it('checks ranges are ordered and sizes are whole patches', () => {
    const a = { ...runPresets.nano.augment, localScale: [0.4, 0.05] as [number, number], localSize: 12 };
    expect(validateConfig({ ...runPresets.nano, augment: a })).toEqual([
      { path: 'augment.localSize', message: 'must be a multiple of the patch size (8), got 12' },
      { path: 'augment.localScale', message: 'min (0.4) must not exceed max (0.05)' },
    ]);
  });

  it('reports a value out of its range once, without the rules that involve other fields', () => {
    const model = { ...runPresets.nano.model, numHeads: 65537, mlpRatio: 1e308 };
    expect(validateConfig({ ...runPresets.nano, model })).toEqual([
      { path: 'model.numHeads', message: 'must be in [1, 2048], got 65537' },
      { path: 'model.mlpRatio', message: 'must be in (0, 16], got 1e+308' },
    ]);
  });
});
