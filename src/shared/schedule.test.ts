import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cosineScheduler, peakLr, teacherTempSchedule } from './schedule';
import { goldenCaseDirs } from '../conformance/golden-dirs';

function expectClose(actual: Float64Array, expected: number[], rtol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i])).toBeLessThanOrEqual(rtol * Math.abs(expected[i]));
  }
}

describe('schedules match the official cosine_scheduler', () => {
  for (const dir of goldenCaseDirs()) {
    it(`${dir}`, () => {
      const s = JSON.parse(readFileSync(`${dir}/schedules.json`, 'utf8'));
      const p = s.inputs;
      const n = p.niter_per_ep;
      const lr = peakLr(p.lr, p.batch_size_per_gpu, p.world_size);
      expectClose(cosineScheduler(lr, p.min_lr, p.epochs, n, p.warmup_epochs), s.lr_schedule);
      expectClose(cosineScheduler(p.weight_decay, p.weight_decay_end, p.epochs, n), s.wd_schedule);
      expectClose(cosineScheduler(p.momentum_teacher, 1, p.epochs, n), s.momentum_schedule);
      expectClose(
        teacherTempSchedule(p.warmup_teacher_temp, p.teacher_temp, p.warmup_teacher_temp_epochs, p.epochs),
        s.teacher_temp_schedule,
      );
    });
  }

  it('warm-up includes its end point and the cosine never reaches the final value', () => {
    const s = cosineScheduler(1, 0, 4, 2, 1);
    expect(Array.from(s.slice(0, 3))).toEqual([0, 1, 1]);
    expect(s[s.length - 1]).toBeGreaterThan(0);
  });
});
