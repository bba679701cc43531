import { describe, expect, it } from 'vitest';
import type { Progress } from '../../shared/protocol';
import { applyEvent } from './events';
import { useStore } from '../store';

const progress = (state: Progress['state'], step: number): Progress => ({
  state, step, totalSteps: 100, epoch: 0, epochs: 1, stepsPerEpoch: 100, imagesPerSec: 0, msPerStep: 0, etaSeconds: null,
  microBatch: 0, memory: { tensorBytes: 0, heapBytes: null, limitBytes: null },
});

describe('worker events into the store', () => {
  // Issue 10, item 6: "Resumed run at step N. Press Resume" stayed up while the run went on.
  it('drops the resumed-run banner once the run moves on, and keeps it while it waits paused', () => {
    useStore.getState().setResumedAt(40);
    applyEvent({ type: 'progress', progress: progress('paused', 40) }, false);
    expect(useStore.getState().resumedAt).toBe(40);
    applyEvent({ type: 'progress', progress: progress('running', 41) }, false);
    expect(useStore.getState().resumedAt).toBeNull();
  });

  it('records what the inspector reads', () => {
    applyEvent({ type: 'inspecting', source: 'weights', weightsFile: 'dino.pth' }, false);
    expect(useStore.getState().inspecting).toEqual({ source: 'weights', weightsFile: 'dino.pth' });
  });

  it("keeps the worker's plan of the form apart from the config it holds", () => {
    const schedules = (n: number) => ({ lr: new Float64Array(n), wd: new Float64Array(n), momentum: new Float64Array(n), teacherTemp: new Float64Array(2), stepsPerEpoch: n / 2 });
    const config = useStore.getState().config;
    applyEvent({ type: 'configured', config, schedules: schedules(10), paramCount: 7, preview: false }, false);
    applyEvent({ type: 'configured', config, schedules: schedules(4), paramCount: 7, preview: true }, false);
    expect(useStore.getState().configured?.schedules.lr.length).toBe(10);
    expect(useStore.getState().plannedSchedules?.lr.length).toBe(4);
  });
});
