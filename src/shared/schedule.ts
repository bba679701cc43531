/**
 * The official DINO schedules, precomputed per iteration so they can be plotted before training.
 *
 * Reproduces `utils.cosine_scheduler` and `DINOLoss.teacher_temp_schedule` to float64 round-off:
 * the warm-up ramp includes both ends (its last value already equals the base value), and the
 * cosine part that follows has total - warmup points and never reaches the final value.
 */
import type { TrainConfig } from './config';
import type { Schedules } from './protocol';

/** numpy.linspace(start, stop, num) with endpoint=True, in numpy's order of operations. */
export function linspace(start: number, stop: number, num: number): Float64Array {
  const out = new Float64Array(Math.max(0, num));
  if (num === 1) out[0] = start;
  if (num > 1) {
    const step = (stop - start) / (num - 1);
    for (let i = 0; i < num; i++) out[i] = i * step + start;
    out[num - 1] = stop;
  }
  return out;
}

/** Linear warm-up from `startWarmup` then cosine from `base` towards `final`, one value per iteration. */
export function cosineScheduler(
  base: number,
  final: number,
  epochs: number,
  nIterPerEpoch: number,
  warmupEpochs = 0,
  startWarmup = 0,
): Float64Array {
  const warmupIters = warmupEpochs * nIterPerEpoch;
  const total = epochs * nIterPerEpoch;
  const out = new Float64Array(total);
  if (warmupEpochs > 0) out.set(linspace(startWarmup, base, warmupIters));
  const n = total - warmupIters;
  for (let i = 0; i < n; i++) {
    out[warmupIters + i] = final + 0.5 * (base - final) * (1 + Math.cos((Math.PI * i) / n));
  }
  return out;
}

/** Teacher temperature per epoch: linear warm-up (both ends included), then constant. */
export function teacherTempSchedule(
  warmupTemp: number,
  temp: number,
  warmupEpochs: number,
  nEpochs: number,
): Float64Array {
  const out = new Float64Array(nEpochs);
  out.set(linspace(warmupTemp, temp, warmupEpochs).subarray(0, nEpochs));
  for (let e = warmupEpochs; e < nEpochs; e++) out[e] = temp;
  return out;
}

/** Peak learning rate: the linear scaling rule lr * batch / 256 of the official code. */
export function peakLr(baseLr: number, batchSize: number, worldSize = 1): number {
  return (baseLr * (batchSize * worldSize)) / 256;
}

/** All schedules of a run. Without sharpening the teacher uses the student temperature. */
export function buildSchedules(train: TrainConfig, stepsPerEpoch: number): Schedules {
  const teacherTemp = train.sharpening
    ? teacherTempSchedule(train.warmupTeacherTemp, train.teacherTemp, train.warmupTeacherTempEpochs, train.epochs)
    : new Float64Array(train.epochs).fill(train.studentTemp);
  return {
    lr: cosineScheduler(peakLr(train.lr, train.batchSize), train.minLr, train.epochs, stepsPerEpoch, train.warmupEpochs),
    wd: cosineScheduler(train.weightDecay, train.weightDecayEnd, train.epochs, stepsPerEpoch),
    momentum: cosineScheduler(train.momentumTeacher, 1, train.epochs, stepsPerEpoch),
    teacherTemp,
    stepsPerEpoch,
  };
}
