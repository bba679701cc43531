/**
 * The schedule checks: learning rate, weight decay, teacher momentum and teacher temperature per
 * iteration, as the official cosine_scheduler builds them (float64, so to 1e-12).
 */
import { cosineScheduler, peakLr, teacherTempSchedule } from '../shared/schedule';
import { compareArrays, type CheckResult } from './compare';
import type { GoldenCase } from './golden-data';

export async function scheduleChecks({ readFile }: GoldenCase): Promise<CheckResult[]> {
  const s = JSON.parse(new TextDecoder().decode(await readFile('schedules.json')));
  const p = s.inputs;
  const n = p.niter_per_ep;
  const tol = { atol: 0, rtol: 1e-12 };
  return [
    compareArrays('schedules', 'lr', cosineScheduler(peakLr(p.lr, p.batch_size_per_gpu, p.world_size), p.min_lr, p.epochs, n, p.warmup_epochs), s.lr_schedule, tol),
    compareArrays('schedules', 'weight_decay', cosineScheduler(p.weight_decay, p.weight_decay_end, p.epochs, n), s.wd_schedule, tol),
    compareArrays('schedules', 'momentum', cosineScheduler(p.momentum_teacher, 1, p.epochs, n), s.momentum_schedule, tol),
    compareArrays(
      'schedules',
      'teacher_temp',
      teacherTempSchedule(p.warmup_teacher_temp, p.teacher_temp, p.warmup_teacher_temp_epochs, p.epochs),
      s.teacher_temp_schedule,
      tol,
    ),
  ];
}
