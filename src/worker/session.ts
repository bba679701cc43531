/**
 * Everything the worker holds between messages (dataset, config, run, metric history) and the
 * generic training loop: run / pause / resume / step / stop, the cadence of metric read-backs and
 * checkpoints, divergence and recovery from a lost device. The DINO recipe itself is DinoRun; the
 * device is Device (device.ts); what the inspector reads is Models (models.ts).
 */
import { formatIssues, validateConfig, type RunConfig } from '../shared/config';
import { MEMORY_BUDGET_BYTES, memoryRefusal, planMemory } from '../shared/memory';
import type { TensorMap } from '../shared/host-tensor';
import type { BackendChoice, MetricRow, Progress, RunState, WorkerCommand, WorkerEvent } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { dinoShapes } from '../shared/param-shapes';
import { buildSchedules } from '../shared/schedule';
import { deviceMemory, isWasmAbort, watchDeviceLoss, type BackendOptions, type DeviceLoss } from '../engine/backend';
import { wasmHeapBytes } from '../engine/kernels/wasm-kernels';
import { restoreCheckpoint, saveCheckpoint, isCheckpoint } from '../engine/checkpoint';
import { DinoRun } from '../engine/dino-run';
import { ImageStore } from '../engine/image-store';
import { initFromWeights } from '../engine/init-from-weights';
import { previewCrops } from '../engine/multi-crop';
import { looksLikePth } from '../engine/weights/pth';
import { looksLikeSafetensors } from '../engine/weights/safetensors';
import { exportRun } from './export';
import { clearStoredCheckpoint, loadStoredCheckpoint, storeCheckpoint } from './checkpoint-db';
import { Device, WASM_ABORT } from './device';
import { Models } from './models';

export type Emit = (e: WorkerEvent) => void;

/** Why bytes given to "Resume from a checkpoint file" are not a dinolab run, and where they go. */
function notACheckpoint(bytes: Uint8Array): string {
  const what = looksLikePth(bytes)
    ? 'this is a PyTorch file (an official checkpoint.pth or backbone), which holds weights but not a dinolab run'
    : looksLikeSafetensors(bytes)
      ? 'this safetensors file holds weights but not a dinolab run'
      : 'this is neither a dinolab checkpoint nor a weights file';
  return `not a dinolab checkpoint: ${what}. Resuming takes the .safetensors files that "Download checkpoint" saves; load weights in the Weights tab.`;
}

const STOPPED = 'the run was stopped: it is kept only to export and inspect; start a new run to train again';

/** Where the run's latest good checkpoint is kept across reloads. */
export interface StoredCheckpoint {
  save(bytes: Uint8Array): Promise<void>;
  load(): Promise<Uint8Array | null>;
  /** Forget the run (Stop): a reload must not bring a stopped run back. */
  clear(): Promise<void>;
}

export class Session {
  private readonly device: Device;
  private readonly models: Models;
  private store = new ImageStore();
  private config: RunConfig | null = null;
  private run: DinoRun | null = null;
  /** Image count the run was started with (its steps per epoch depend on it). */
  private runDatasetSize = 0;
  private metrics: MetricRow[] = [];
  private state: RunState = 'idle';
  private looping = false;
  /** True from a device-loss notice until the recovery is done (the loop's own error is moot). */
  private losingDevice = false;
  /** Set while pause() waits for the loop to stop: the state reads 'paused' only once the
   *  checkpoint is stored, so a reload right after the UI shows "paused" finds it. */
  private pauseRequested = false;
  /** After the wasm heap ran out mid-run: the micro-batch the run's steps may use at most. */
  private microBatchCap = Infinity;

  constructor(
    private readonly emit: Emit,
    backendOptions: BackendOptions,
    /** Where the run's latest good checkpoint lives across reloads (IndexedDB in the browser). */
    private readonly stored: StoredCheckpoint = { save: storeCheckpoint, load: loadStoredCheckpoint, clear: clearStoredCheckpoint },
    /** Resolves when the current backend's GPU device is lost (null when there is none to lose). */
    watchDevice: () => Promise<DeviceLoss> | null = watchDeviceLoss,
  ) {
    this.device = new Device(backendOptions, watchDevice, (loss) => {
      this.losingDevice = true;
      this.onDeviceLost(loss);
    });
    this.models = new Models(emit, () => this.run);
  }

  /**
   * Called when the GPU device is lost. The worker entry queues the recovery behind the command
   * in progress; by default it runs at once.
   */
  onDeviceLost: (loss: DeviceLoss) => void = (loss) => void this.recoverFromDeviceLoss(loss);

  /** Handles one command; errors become `error` events naming the problem. */
  async handle(cmd: WorkerCommand): Promise<void> {
    try {
      await this.dispatch(cmd);
    } catch (e) {
      const requestId = 'requestId' in cmd ? cmd.requestId : undefined;
      const message = (e as Error).message ?? String(e);
      if (this.device.name === 'wasm' && isWasmAbort(e) && !this.losingDevice) {
        // The module aborted in a command (a single step, a pause's checkpoint, an inspection):
        // the heap is gone, so recover as the loop does, after this command.
        this.losingDevice = true;
        setTimeout(() => this.onDeviceLost({ reason: WASM_ABORT, message }), 0);
        if (requestId !== undefined) this.emit({ type: 'error', requestId, message: 'the WebAssembly heap ran out of memory; dinolab is starting a fresh one' });
        return;
      }
      this.emit({ type: 'error', requestId, message });
    }
  }

  private async dispatch(cmd: WorkerCommand): Promise<void> {
    switch (cmd.type) {
      case 'init':
        await this.setBackend(cmd.backend);
        this.emit({ type: 'ready', backend: this.device.info! });
        await this.resumeStored();
        return;
      case 'setBackend':
        if (this.state === 'running') throw new Error('pause training before switching the backend');
        await this.setBackend(cmd.backend);
        this.emit({ type: 'backend', backend: this.device.info! });
        return;
      case 'loadImages':
        if (cmd.replace) this.store.clear();
        this.store.add(cmd.images);
        this.emitDataset();
        this.explainDatasetChange();
        return;
      case 'removeImages':
        this.store.remove(cmd.ids);
        this.emitDataset();
        this.explainDatasetChange();
        return;
      case 'configure':
        this.configure(cmd.config, cmd.preview ?? false);
        return;
      case 'start':
        await this.start(cmd.fromWeights);
        return;
      case 'pause':
        if (this.state === 'running') await this.pause();
        return;
      case 'resume':
        if (!this.run) throw new Error('there is no run to resume: start one first');
        if (this.state === 'stopped') throw new Error(STOPPED);
        if (this.state === 'paused') {
          this.checkDataset();
          this.setState('running');
          void this.loop();
        }
        return;
      case 'step':
        await this.stepOnce();
        return;
      case 'stop':
        await this.stop();
        return;
      case 'loadWeights': {
        const bytes = new Uint8Array(cmd.bytes);
        // A dinolab checkpoint dropped on the Weights tab is a run: restore it.
        if (isCheckpoint(bytes)) await this.restore(bytes, cmd.requestId);
        else this.models.load(cmd.requestId, cmd.fileName, bytes, cmd.numHeads);
        return;
      }
      case 'acceptWeights':
        this.models.accept(cmd.requestId);
        return;
      case 'saveCheckpoint': {
        const run = this.requireRun();
        const bytes = await saveCheckpoint(run, this.runDatasetSize, this.metrics);
        const buf = bytes.slice().buffer;
        this.emit({ type: 'checkpoint', requestId: cmd.requestId, bytes: buf, fileName: `dinolab-step${run.step}.safetensors` });
        return;
      }
      case 'restoreCheckpoint': {
        if (cmd.bytes && !isCheckpoint(new Uint8Array(cmd.bytes))) throw new Error(notACheckpoint(new Uint8Array(cmd.bytes)));
        const bytes = cmd.bytes ? new Uint8Array(cmd.bytes) : await this.stored.load();
        if (!bytes) throw new Error('no stored checkpoint to restore');
        await this.restore(bytes, cmd.requestId);
        return;
      }
      case 'exportWeights': {
        const run = this.requireRun();
        const file = await exportRun(run, cmd.format);
        this.emit({ type: 'exported', requestId: cmd.requestId, bytes: file.bytes.slice().buffer, fileName: file.fileName });
        return;
      }
      case 'attention':
        await this.models.attention(cmd.requestId, cmd.request, this.config?.augment ?? null);
        return;
      case 'augmentPreview': {
        const errors = validateConfig(cmd.config);
        if (errors.length) throw new Error(formatIssues(errors));
        const preview = await previewCrops(cmd.image, cmd.config.augment, new Rng((Math.random() * 2 ** 32) >>> 0));
        this.emit({ type: 'augmentPreview', requestId: cmd.requestId, crops: preview.crops, kinds: preview.kinds });
        return;
      }
      case 'knn':
        await this.models.knn(cmd.requestId, this.store, this.config?.augment ?? null, cmd.k, cmd.temperature);
        return;
      case 'inspectSource':
        this.models.show(cmd.source);
        return;
      case 'extractFeatures':
        await this.models.extract(cmd.requestId, cmd.request, this.store);
        return;
      case 'cancelEval':
        this.models.evaluator.cancel();
        return;
      case 'evalKnn':
        this.models.evaluator.knn(cmd.requestId, cmd.settings);
        return;
      case 'embed':
        await this.models.evaluator.embed(cmd.requestId, cmd.method);
        return;
      case 'neighbors':
        this.models.evaluator.neighbors(cmd.requestId, cmd.index, cmd.k, cmd.metric);
        return;
      case 'patchViews':
        await this.models.patchViews(cmd.requestId, cmd.request, this.config?.augment ?? null);
        return;
      default: {
        const never: never = cmd;
        throw new Error(`unknown command ${(never as { type: string }).type}`);
      }
    }
  }

  // ---- backend ---------------------------------------------------------------------------

  private async setBackend(choice: BackendChoice): Promise<void> {
    // Tensors live on one backend: carry the run over through a host checkpoint.
    const carried = this.run ? await saveCheckpoint(this.run, this.runDatasetSize, this.metrics) : null;
    this.run?.dispose();
    this.run = null;
    this.store.dispose();
    this.models.dropDeviceCopies();
    await this.device.select(choice);
    if (carried) {
      const r = restoreCheckpoint(carried);
      this.run = r.run;
      this.fitMemory(r.run);
    }
  }

  /**
   * The GPU device is gone, and every tensor on it: stop the loop, start the backend again (a
   * fresh WebGPU device, or wasm after a second loss), and roll the run back to its last stored
   * checkpoint. The person is told what happened and what was kept.
   */
  async recoverFromDeviceLoss(loss: DeviceLoss): Promise<void> {
    // The wasm module aborted (its heap ran out): the same recovery, on a fresh wasm heap.
    const heap = loss.reason === WASM_ABORT;
    this.losingDevice = true;
    this.device.forget();
    const lostAt = this.run?.step ?? null;
    const lostMicroBatch = this.run?.microBatch ?? null;
    await this.stopLoop();
    const drop = (f: () => void) => {
      try {
        f();
      } catch {
        // its buffers went with the device
      }
    };
    drop(() => this.run?.dispose());
    this.run = null;
    drop(() => this.store.dispose());
    drop(() => this.models.dropDeviceCopies());
    this.state = 'idle';
    const what = heap
      ? `the WebAssembly heap ran out of memory (${loss.message.slice(0, 120)})`
      : `the GPU device was lost (${loss.reason}${loss.message ? `: ${loss.message}` : ''})`;
    try {
      const backend = await this.device.restart(loss, what);
      this.emit({ type: 'backend', backend });
      // The estimate was too low for this machine: the restored run passes half the images at a time.
      const halved = heap && lostMicroBatch !== null && lostMicroBatch > 1;
      if (halved) this.microBatchCap = Math.floor(lostMicroBatch / 2);
      const bytes = await this.stored.load().catch(() => null);
      let kept = 'no checkpoint had been stored yet, so start the run again';
      if (bytes) {
        try {
          const step = await this.restore(bytes, -1);
          kept = `the run was rolled back to its last checkpoint (step ${step}); press Resume to continue`;
        } catch (e) {
          kept = `its last checkpoint could not be restored (${(e as Error).message}), so start the run again`;
          this.setState('idle');
        }
      } else {
        this.metrics = [];
        this.setState('idle');
      }
      const at = lostAt === null ? '' : ` at step ${lostAt}`;
      let advice = '';
      if (halved) {
        advice = ` Its steps now run in micro-batches of ${this.microBatchCap} images, which need less memory and give the same result.`;
      } else if (heap) advice = ' To train on with less memory, stop and start a new run with fewer or smaller crops, or a smaller model or head.';
      this.emit({ type: 'error', message: `Training stopped: ${what}${at}. dinolab now runs on ${backend.name}; ${kept}.${advice}` });
    } catch (e) {
      this.setState('error');
      this.emit({ type: 'error', message: `${what}, and no backend could start again: ${(e as Error).message}. Reload the page.` });
    } finally {
      this.losingDevice = false;
    }
  }

  // ---- data and config -------------------------------------------------------------------

  private emitDataset(): void {
    const labels = this.store.labelCounts();
    this.emit({ type: 'dataset', count: this.store.count, labels });
    if (this.config) this.emitConfigured(this.config);
  }

  private stepsPerEpoch(config: RunConfig): number {
    return Math.max(1, Math.floor(this.store.count / config.train.batchSize));
  }

  /**
   * Sends `config` with its schedules, which are built here and nowhere else: the run's own arrays
   * when `config` is the run's, otherwise what a run of it on this dataset would use (a preview, or
   * the next run's). The UI draws what it receives.
   */
  private emitConfigured(config: RunConfig, preview = false): void {
    const run = this.run?.config === config ? this.run : null;
    const own = run ? run.schedules : buildSchedules(config.train, this.stepsPerEpoch(config));
    // Events transfer their typed arrays: send copies, the run keeps using its own.
    const schedules = { ...own, lr: own.lr.slice(), wd: own.wd.slice(), momentum: own.momentum.slice(), teacherTemp: own.teacherTemp.slice() };
    const paramCount = dinoShapes(config.model, config.head).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    this.emit({ type: 'configured', config, schedules, paramCount, preview });
  }

  /** Adopts the config of the next run; a preview is only planned (emitConfigured) and not kept. */
  private configure(config: RunConfig, preview: boolean): void {
    const errors = validateConfig(config);
    if (errors.length) throw new Error(`invalid configuration: ${formatIssues(errors)}`);
    if (preview) return this.emitConfigured(config, true);
    if (this.run && this.state === 'running') throw new Error('stop the run before changing its configuration');
    this.config = config;
    this.emitConfigured(config);
  }

  /** A run trains on a fixed dataset: say so when the images change under a paused run, at the
   *  moment of the change rather than when Resume is pressed. */
  private explainDatasetChange(): void {
    if (!this.run || this.state !== 'paused' || this.store.count === this.runDatasetSize) return;
    this.emit({
      type: 'error',
      message:
        `The dataset changed under the paused run (${this.runDatasetSize} -> ${this.store.count} images): it cannot resume on other data. ` +
        'Stop it and start a new run, or restore the images it was started with.',
    });
  }

  private checkDataset(): void {
    if (this.run && this.store.count !== this.runDatasetSize) {
      throw new Error(
        `the dataset changed since this run started (${this.runDatasetSize} -> ${this.store.count} images): stop the run and start a new one to train on the new data`,
      );
    }
  }

  // ---- the loop --------------------------------------------------------------------------

  private setState(state: RunState): void {
    this.state = state;
    this.emitProgress();
  }

  private emitProgress(): void {
    const run = this.run;
    const last = this.metrics[this.metrics.length - 1];
    const ms = last && Number.isFinite(last.msPerStep) ? last.msPerStep : NaN;
    const progress: Progress = {
      state: this.state,
      step: run?.step ?? 0,
      totalSteps: run?.totalSteps ?? 0,
      epoch: run?.epoch ?? 0,
      epochs: run?.config.train.epochs ?? this.config?.train.epochs ?? 0,
      stepsPerEpoch: run?.stepsPerEpoch ?? 0,
      imagesPerSec: last && Number.isFinite(last.imagesPerSec) ? last.imagesPerSec : 0,
      msPerStep: Number.isFinite(ms) ? ms : 0,
      etaSeconds: run && Number.isFinite(ms) ? ((run.totalSteps - run.step) * ms) / 1000 : null,
      microBatch: run?.microBatch ?? 0,
      memory: {
        tensorBytes: deviceMemory().numBytes,
        heapBytes: wasmHeapBytes(),
        limitBytes: MEMORY_BUDGET_BYTES[this.device.name] ?? null,
      },
    };
    this.emit({ type: 'progress', progress });
  }

  private async start(fromWeights: boolean): Promise<void> {
    if (this.state === 'running') throw new Error('training is already running');
    if (!this.config) throw new Error('configure the run before starting it');
    let config = this.config;
    let init: TensorMap | undefined;
    let center: Float32Array | undefined;
    if (fromWeights) {
      const weights = this.models.weights;
      if (!weights) throw new Error('no weights loaded: load a .pth or .safetensors file first, or start from random init');
      ({ config, init, center } = initFromWeights(config, weights));
      this.config = config;
    }
    const tooBig = memoryRefusal(config, this.device.name);
    if (tooBig) throw new Error(`Not started: ${tooBig}.`);
    this.run?.dispose();
    this.run = null;
    this.metrics = [];
    this.microBatchCap = Infinity;
    this.run = new DinoRun(config, this.store.count, init, center);
    this.fitMemory(this.run);
    this.models.show('run');
    this.runDatasetSize = this.store.count;
    this.emitConfigured(config);
    this.emit({ type: 'metrics', rows: [] });
    // Step 0 is the first good checkpoint: a run that diverges at once can still roll back, and
    // never to another run's checkpoint.
    await this.persist(this.run);
    this.setState('running');
    void this.loop();
  }

  private async loop(): Promise<void> {
    if (this.looping) return;
    this.looping = true;
    const run = this.run!;
    run.resetTiming();
    try {
      while (this.state === 'running' && !this.pauseRequested && this.run === run && !run.done) {
        run.runStep(this.store);
        const every = run.config.train.metricsEvery;
        if (run.step % every === 0 || run.done) {
          if (!(await this.flush(run))) return;
          if (run.step % run.config.train.checkpointEvery === 0) await this.persist(run);
        }
        // Let pause/stop messages in between steps.
        await new Promise((r) => setTimeout(r, 0));
      }
      if (this.run === run && run.done) {
        await this.flush(run);
        await this.persist(run);
        this.setState('finished');
      }
    } catch (e) {
      // A lost device fails the step (often a read-back, before the loss notice arrives); the
      // recovery explains that better than its symptom, so give the notice a moment to come.
      if (this.losingDevice || (await this.device.lostWithin(1000))) return;
      if (this.device.name === 'wasm' && isWasmAbort(e)) {
        // Recovered like a lost device, once this loop has let go.
        this.losingDevice = true;
        setTimeout(() => this.onDeviceLost({ reason: WASM_ABORT, message: (e as Error).message ?? String(e) }), 0);
        return;
      }
      this.setState('error');
      console.error(e);
      this.emit({ type: 'error', message: `training stopped: ${(e as Error).message}` });
    } finally {
      this.looping = false;
    }
  }

  /** Reads pending metrics; on a non-finite loss pauses the run and reports it. Returns false then. */
  private async flush(run: DinoRun): Promise<boolean> {
    const rows = await run.flushMetrics();
    if (rows.length === 0) return true;
    const bad = rows.find((r) => !Number.isFinite(r.loss));
    this.metrics.push(...rows);
    this.emit({ type: 'metrics', rows });
    this.emitProgress();
    if (bad) {
      this.state = 'paused';
      const stored = await this.stored.load().catch(() => null);
      this.emit({
        type: 'diverged',
        step: bad.step,
        message: `the loss became ${bad.loss} at step ${bad.step}; training is paused. Lower the learning rate or the teacher temperature, or roll back.`,
        canRollBack: stored !== null,
      });
      this.emitProgress();
      return false;
    }
    return true;
  }

  private async persist(run: DinoRun): Promise<void> {
    try {
      await this.stored.save(await saveCheckpoint(run, this.runDatasetSize, this.metrics));
    } catch (e) {
      // A lost device fails the read-back; the device-loss recovery reports that instead.
      if (this.losingDevice || (await this.device.lostWithin(1000))) return;
      // An aborted wasm heap is not a storage problem: the caller's recovery handles it.
      if (this.device.name === 'wasm' && isWasmAbort(e)) throw e;
      this.emit({ type: 'error', message: `could not save the checkpoint in the browser: ${(e as Error).message}` });
    }
  }

  /** Asks the detached loop to stop after its current step and waits until it has. */
  private async stopLoop(): Promise<void> {
    this.pauseRequested = true;
    try {
      while (this.looping) await new Promise((r) => setTimeout(r, 5));
    } finally {
      this.pauseRequested = false;
    }
  }

  private async pause(): Promise<void> {
    await this.stopLoop();
    // The heap or device went while the loop ran: its recovery pauses the run from the checkpoint.
    if (this.state !== 'running' || this.losingDevice) return;
    const run = this.run;
    if (run) {
      if (!(await this.flush(run))) return; // diverged: flush paused the run and reported it
      await this.persist(run);
    }
    this.setState('paused');
  }

  private async stepOnce(): Promise<void> {
    if (this.state === 'running') throw new Error('pause training before stepping');
    if (this.state === 'stopped') throw new Error(STOPPED);
    if (!this.run) await this.start(false).then(() => this.pause());
    else {
      this.checkDataset();
      const run = this.run;
      if (run.done) throw new Error('the run is finished');
      run.resetTiming();
      run.runStep(this.store);
      await this.flush(run);
      this.setState('paused');
    }
  }

  /** Stop means stopped: the run stays in memory only, for export and inspection, and the
   *  browser's checkpoint is forgotten so a reload does not bring it back. */
  private async stop(): Promise<void> {
    if (this.state === 'running') await this.pause();
    if (!this.run) return;
    await this.stored.clear().catch(() => undefined);
    this.setState('stopped');
  }

  /** Splits the run's steps into micro-batches that fit the backend in use (same result, less memory). */
  private fitMemory(run: DinoRun): void {
    const plan = planMemory(run.config, this.device.name);
    run.microBatch = Math.max(1, Math.min(plan?.microBatch ?? 1, this.microBatchCap));
  }

  private requireRun(): DinoRun {
    if (!this.run) throw new Error('there is no run yet: start training (or restore a checkpoint) first');
    return this.run;
  }

  // ---- checkpoints ------------------------------------------------------------------------

  /** Replaces the run with a checkpoint's; returns its step. */
  private async restore(bytes: Uint8Array, requestId: number): Promise<number> {
    if (this.state === 'running') await this.pause();
    const r = restoreCheckpoint(bytes);
    this.run?.dispose();
    this.run = r.run;
    this.fitMemory(r.run);
    this.models.show('run');
    this.runDatasetSize = r.datasetSize;
    this.config = r.run.config;
    this.metrics = r.metrics;
    this.emitConfigured(this.config);
    this.emit({ type: 'metrics', rows: r.metrics });
    this.emit({ type: 'restored', requestId, step: r.run.step });
    this.setState(r.run.done ? 'finished' : 'paused');
    return r.run.step;
  }

  private async resumeStored(): Promise<void> {
    const bytes = await this.stored.load().catch(() => null);
    if (!bytes) return;
    try {
      await this.restore(bytes, -1);
    } catch (e) {
      this.emit({ type: 'error', message: `the stored run could not be restored: ${(e as Error).message}` });
    }
  }
}
