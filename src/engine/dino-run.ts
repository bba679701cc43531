/**
 * A DINO training run: the model, the data, the precomputed schedules, the RNG and the step counter.
 * `step()` is one official iteration (multi-crop -> dinoStep with the schedules' values); metrics stay
 * on the device until `flushMetrics()` reads a whole batch of them back in one transfer.
 *
 * The generic loop (run / pause / cadence / events) lives in the worker, apart from this recipe.
 */
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../shared/config';
import type { TensorMap } from '../shared/host-tensor';
import type { MetricRow, Schedules } from '../shared/protocol';
import { Rng, type RngState } from '../shared/rng';
import { buildSchedules } from '../shared/schedule';
import { createDino, dinoStep, disposeDino, type DinoModel } from './dino-step';
import type { ImageStore } from './image-store';
import { multiCrop } from './multi-crop';
import { initDinoParams } from './params';

interface PendingMetrics {
  step: number;
  epoch: number;
  values: tf.Tensor; // [loss, teacherEntropy, centerNorm]
  /** The schedule values this step was given (what the charts' "applied" line shows). */
  applied: { lr: number; wd: number; momentum: number; teacherTemp: number };
}

export class DinoRun {
  readonly config: RunConfig;
  readonly model: DinoModel;
  readonly schedules: Schedules;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** Iterations done so far (the next step's index). */
  step = 0;
  rng: Rng;
  /**
   * Images per micro-batch of the student (see StepOptions.microBatch): how the step is executed,
   * not what it computes, so it is not part of the config or the checkpoint. The batch size stays.
   */
  microBatch: number;
  private pending: PendingMetrics[] = [];
  private lastFlush = { time: 0, step: 0 };

  /**
   * `init` holds backbone.* / head.* weights (loaded or random); without it the official random init
   * is drawn from the seed. `datasetSize` fixes the steps per epoch (the last partial batch is dropped).
   */
  constructor(config: RunConfig, datasetSize: number, init?: TensorMap, center?: Float32Array) {
    const B = config.train.batchSize;
    if (datasetSize < B) {
      throw new Error(`the dataset has ${datasetSize} images, fewer than one batch of ${B}: add images or lower the batch size`);
    }
    this.config = config;
    this.stepsPerEpoch = Math.floor(datasetSize / B);
    this.totalSteps = this.stepsPerEpoch * config.train.epochs;
    this.schedules = buildSchedules(config.train, this.stepsPerEpoch);
    this.model = createDino(config.model, config.head, init ?? initDinoParams(config.model, config.head, config.seed), center);
    this.rng = new Rng(config.seed ^ 0x5eed);
    this.microBatch = B;
  }

  get epoch(): number {
    return Math.floor(this.step / this.stepsPerEpoch);
  }

  get done(): boolean {
    return this.step >= this.totalSteps;
  }

  /** Image indices of this step's batch: a fresh permutation per epoch, derived from the seed. */
  batchIndices(step: number, datasetSize: number): Int32Array {
    const epoch = Math.floor(step / this.stepsPerEpoch);
    const perm = new Rng((this.config.seed * 1_000_003 + epoch) >>> 0).permutation(datasetSize);
    const B = this.config.train.batchSize;
    const offset = (step % this.stepsPerEpoch) * B;
    return perm.slice(offset, offset + B);
  }

  /** One DINO iteration on a batch of `store`. Metrics stay on the device until flushMetrics(). */
  runStep(store: ImageStore): void {
    if (this.done) throw new Error('the run is finished');
    const t = this.config.train;
    const it = this.step;
    const epoch = this.epoch;
    const indices = this.batchIndices(it, store.count);
    const { globals, locals } = multiCrop(store, indices, this.config.augment, this.rng);
    const applied = { lr: this.schedules.lr[it], wd: this.schedules.wd[it], momentum: this.schedules.momentum[it], teacherTemp: this.schedules.teacherTemp[epoch] };
    let out: ReturnType<typeof dinoStep>;
    try {
      out = dinoStep(
        this.model,
        globals,
        locals,
        {
          lr: applied.lr,
          weightDecay: applied.wd,
          momentum: applied.momentum,
          teacherTemp: applied.teacherTemp,
          studentTemp: t.studentTemp,
          epoch,
          freezeLastLayer: t.freezeLastLayer,
          clipGrad: t.clipGrad,
          centerMomentum: t.centerMomentum,
          centering: t.centering,
          dropPathRate: t.dropPathRate,
        },
        { rng: this.rng, microBatch: this.microBatch },
      );
    } finally {
      globals.dispose();
      locals?.dispose();
    }
    const values = tf.tidy(() => tf.stack([out.loss, out.teacherEntropy, out.centerNorm]));
    for (const s of [out.loss, out.teacherEntropy, out.centerNorm, out.nClipped]) s.dispose();
    this.pending.push({ step: it, epoch, values, applied });
    this.step++;
  }

  /** Reads the pending metrics back in one transfer; timing covers the steps since the last flush. */
  async flushMetrics(): Promise<MetricRow[]> {
    if (this.pending.length === 0) return [];
    const pending = this.pending;
    this.pending = [];
    const stacked = tf.stack(pending.map((p) => p.values));
    pending.forEach((p) => p.values.dispose());
    const data = (await stacked.data()) as Float32Array;
    stacked.dispose();
    const now = performance.now();
    const steps = this.step - this.lastFlush.step;
    const msPerStep = this.lastFlush.time > 0 && steps > 0 ? (now - this.lastFlush.time) / steps : NaN;
    this.lastFlush = { time: now, step: this.step };
    const mem = tf.memory();
    return pending.map((p, i) => {
      const loss = data[3 * i];
      const ent = data[3 * i + 1];
      return {
        step: p.step,
        epoch: p.epoch,
        loss,
        teacherEntropy: ent,
        kl: loss - ent,
        centerNorm: data[3 * i + 2],
        ...p.applied,
        msPerStep,
        imagesPerSec: msPerStep > 0 ? (1000 * this.config.train.batchSize) / msPerStep : NaN,
        numTensors: mem.numTensors,
        numBytes: mem.numBytes,
      };
    });
  }

  /** Restarts the timing window (after a pause, so idle time does not count as step time). */
  resetTiming(): void {
    this.lastFlush = { time: 0, step: this.step };
  }

  rngState(): RngState {
    return this.rng.state();
  }

  dispose(): void {
    this.pending.forEach((p) => p.values.dispose());
    this.pending = [];
    disposeDino(this.model);
  }
}
