import { describe, expect, it } from 'vitest';
import { useStore } from '../store';
import { nextMonitorEpoch } from './KnnMonitor';

describe('k-NN monitor', () => {
  it('is due every N epochs after the last point', () => {
    expect(nextMonitorEpoch(2, null)).toBe(2);
    expect(nextMonitorEpoch(2, 2)).toBe(4);
    expect(nextMonitorEpoch(2, 3)).toBe(4);
    expect(nextMonitorEpoch(1, 5)).toBe(6);
  });

  it('keeps one curve per run: a point drops the points at or after its step (a new or restored run)', () => {
    const s = useStore.getState();
    s.addKnnPoint({ step: 100, epoch: 1, top1: 40, top5: 80 });
    s.addKnnPoint({ step: 200, epoch: 2, top1: 50, top5: 85 });
    expect(useStore.getState().knnHistory.map((p) => p.step)).toEqual([100, 200]);
    s.addKnnPoint({ step: 150, epoch: 1, top1: 45, top5: 82 });
    expect(useStore.getState().knnHistory.map((p) => p.step)).toEqual([100, 150]);
  });
});
