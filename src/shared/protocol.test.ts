import { describe, expect, it } from 'vitest';
import { METRIC_FIELDS, type MetricRow } from './protocol';

describe('METRIC_FIELDS', () => {
  it('names every MetricRow field once', () => {
    // A literal MetricRow: the compiler refuses it when a field is added or removed.
    const row: MetricRow = {
      step: 0, epoch: 0, loss: 0, teacherEntropy: 0, kl: 0, centerNorm: 0, lr: 0, wd: 0, momentum: 0, teacherTemp: 0,
      msPerStep: 0, imagesPerSec: 0, numTensors: 0, numBytes: 0,
    };
    expect([...METRIC_FIELDS].sort()).toEqual(Object.keys(row).sort());
    expect(new Set(METRIC_FIELDS).size).toBe(METRIC_FIELDS.length);
  });
});
