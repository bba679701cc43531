/**
 * Everything the worker holds between messages (dataset, config, run, loaded weights, metric
 * history) and the generic training loop: run / pause / resume / step / stop, the cadence of
 * metric read-backs and checkpoints, divergence handling. The DINO recipe itself is DinoRun.
 */
import { defaultAugment, formatIssues, validateConfig, type RunConfig } from '../shared/config';
import { MEMORY_BUDGET_BYTES, memoryRefusal, planMemory } from '../shared/memory';
import type { TensorMap } from '../shared/host-tensor';
import type {
  AttentionRequest,
  BackendChoice,
  BackendInfo,
  ModelSource,
  Network,
  MetricRow,
  Progress,
  RunState,
  WeightsReport,
  WorkerCommand,
  WorkerEvent,
} from '../shared/protocol';
import { Rng } from '../shared/rng';
import { buildSchedules } from '../shared/schedule';
import { deviceMemory, isWasmAbort, resetBackend, selectBackend, watchDeviceLoss, type BackendOptions, type DeviceLoss } from '../engine/backend';
import { wasmHeapBytes } from '../engine/kernels/wasm-kernels';
import { restoreCheckpoint, saveCheckpoint, isCheckpoint } from '../engine/checkpoint';
import { DinoRun } from '../engine/dino-run';
import { ImageStore } from '../engine/image-store';
import { previewCrops } from '../engine/multi-crop';
import { dinoShapes, headShapes, initDinoParams } from '../engine/params';
import { loadWeights, type LoadedWeights } from '../engine/weights/layouts';
import { looksLikePth } from '../engine/weights/pth';
import { looksLikeSafetensors } from '../engine/weights/safetensors';
import { exportRun } from './export';
import { clearStoredCheckpoint, loadStoredCheckpoint, storeCheckpoint } from './checkpoint-db';
import { Evaluator } from './evaluate';
import { indexedDbFeatureCache } from './feature-cache';
import { computeAttention, computePatchViews, knnEvaluate, LoadedModel, runModel, type InspectModel } from './inspect';

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

/** What the Weights tab shows about a file the worker read. */
function weightsReport(fileName: string, w: LoadedWeights, pending: boolean): WeightsReport {
  return {
    fileName, layout: w.layout, arch: w.arch, unexpected: w.unexpected, missing: w.missing,
    hasHead: w.head !== null, nonFinite: w.nonFinite, pending,
  };
}

/** DeviceLoss reason for a wasm module that aborted because its heap ran out. */
const WASM_ABORT = 'wasm-abort';

export class Session {
  private backend: BackendInfo | null = null;
  private store = new ImageStore();
  private config: RunConfig | null = null;
  private run: DinoRun | null = null;
  /** Image count the run was started with (its steps per epoch depend on it). */
  private runDatasetSize = 0;
  private loaded: LoadedModel | null = null;
  /** True when weights were loaded after the current run began: the inspector shows them. */
  private inspectLoaded = false;
  /** File name of the loaded weights, as the screen names them. */
  private loadedFile: string | null = null;
  /** Weights holding NaN or ±Inf, reported and waiting for `acceptWeights`. */
  private pendingWeights: { fileName: string; weights: LoadedWeights } | null = null;
  private metrics: MetricRow[] = [];
  private state: RunState = 'idle';
  private looping = false;
  /** The backend the person asked for, used again after a device loss. */
  private backendChoice: BackendChoice = 'auto';
  /** Bumped on every backend switch: a loss notice from an older device is ignored. */
  private backendGeneration = 0;
  private deviceLosses = 0;
  /** True from a device-loss notice until the recovery is done (the loop's own error is moot). */
  private losingDevice = false;
  /** The current device's loss notice (null when the backend has no GPU device). */
  private deviceLost: Promise<DeviceLoss> | null = null;
  /** Set while pause() waits for the loop to stop: the state reads 'paused' only once the
   *  checkpoint is stored, so a reload right after the UI shows "paused" finds it. */
  private pauseRequested = false;
  private evaluatorInstance: Evaluator | null = null;
  /** After the wasm heap ran out mid-run: the micro-batch the run's steps may use at most. */
  private microBatchCap = Infinity;

  constructor(
    private readonly emit: Emit,
    private readonly backendOptions: BackendOptions,
    /** Where the run's latest good checkpoint lives across reloads (IndexedDB in the browser). */
    private readonly stored: StoredCheckpoint = { save: storeCheckpoint, load: loadStoredCheckpoint, clear: clearStoredCheckpoint },
    /** Resolves when the current backend's GPU device is lost (null when there is none to lose). */
    private readonly watchDevice: () => Promise<DeviceLoss> | null = watchDeviceLoss,
  ) {}

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
      this.emit({ type: 'error', requestId, message: (e as Error).message ?? String(e) });
    }
  }

  private async dispatch(cmd: WorkerCommand): Promise<void> {
    switch (cmd.type) {
      case 'init':
        await this.setBackend(cmd.backend);
        this.emit({ type: 'ready', backend: this.backend! });
        await this.resumeStored();
        return;
      case 'setBackend':
        if (this.state === 'running') throw new Error('pause training before switching the backend');
        await this.setBackend(cmd.backend);
        this.emit({ type: 'backend', backend: this.backend! });
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
        this.configure(cmd.config);
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
      case 'loadWeights':
        await this.loadWeightsFile(cmd.requestId, cmd.fileName, new Uint8Array(cmd.bytes), cmd.numHeads);
        return;
      case 'acceptWeights':
        if (!this.pendingWeights) throw new Error('no weights are waiting to be accepted');
        this.useWeights(cmd.requestId, this.pendingWeights.fileName, this.pendingWeights.weights);
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
        await this.attention(cmd.requestId, cmd.request);
        return;
      case 'augmentPreview': {
        const errors = validateConfig(cmd.config);
        if (errors.length) throw new Error(formatIssues(errors));
        const preview = await previewCrops(cmd.image, cmd.config.augment, new Rng((Math.random() * 2 ** 32) >>> 0));
        this.emit({ type: 'augmentPreview', requestId: cmd.requestId, crops: preview.crops, kinds: preview.kinds });
        return;
      }
      case 'knn':
        await this.knn(cmd.requestId, cmd.k, cmd.temperature);
        return;
      case 'inspectSource':
        if (cmd.source === 'weights' && !this.loaded) throw new Error('no weights are loaded: load a file in the Weights tab first');
        if (cmd.source === 'run' && !this.run) throw new Error('there is no run to inspect: start training or restore a checkpoint');
        this.setInspected(cmd.source);
        return;
      case 'extractFeatures': {
        const { network } = cmd.request;
        const what = `${this.inspectedName()} (${network})`;
        await this.evaluator.extract(cmd.requestId, cmd.request, this.store, this.inspected(network), what);
        return;
      }
      case 'cancelEval':
        this.evaluator.cancel();
        return;
      case 'evalKnn':
        this.evaluator.knn(cmd.requestId, cmd.settings);
        return;
      case 'embed':
        await this.evaluator.embed(cmd.requestId, cmd.method);
        return;
      case 'neighbors':
        this.evaluator.neighbors(cmd.requestId, cmd.index, cmd.k, cmd.metric);
        return;
      case 'patchViews': {
        const result = await computePatchViews(this.inspected(cmd.request.network), cmd.request, this.config?.augment ?? null);
        this.emit({ type: 'patchViews', requestId: cmd.requestId, result });
        return;
      }
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
    // Device copies of loaded weights belong to the old backend: re-upload on next use.
    this.loaded?.dispose();
    this.backendChoice = choice;
    this.backend = await selectBackend(choice, this.backendOptions);
    this.watchBackend();
    if (carried) {
      const r = restoreCheckpoint(carried);
      this.run = r.run;
      this.fitMemory(r.run);
    }
  }

  private watchBackend(): void {
    const generation = ++this.backendGeneration;
    const lost = this.watchDevice();
    this.deviceLost = lost;
    lost?.then((loss) => {
      if (generation !== this.backendGeneration) return;
      this.losingDevice = true;
      this.onDeviceLost(loss);
    });
  }

  /** True when the current device reports its loss within `ms`. */
  private async lostWithin(ms: number): Promise<boolean> {
    if (!this.deviceLost) return false;
    const timeout = new Promise<null>((r) => setTimeout(() => r(null), ms));
    return (await Promise.race([this.deviceLost, timeout])) !== null;
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
    this.backendGeneration++;
    if (!heap) this.deviceLosses++;
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
    drop(() => this.loaded?.dispose());
    this.state = 'idle';
    const what = heap
      ? `the WebAssembly heap ran out of memory (${loss.message.slice(0, 120)})`
      : `the GPU device was lost (${loss.reason}${loss.message ? `: ${loss.message}` : ''})`;
    try {
      resetBackend(heap ? 'wasm' : 'webgpu');
      const choice: BackendChoice = heap ? 'wasm' : this.deviceLosses >= 2 ? 'wasm' : this.backendChoice;
      const info = await selectBackend(choice, this.backendOptions);
      this.backend = { ...info, reason: `${what}; now ${info.name}: ${info.reason}${this.deviceLosses >= 2 ? ' (second loss: WebGPU is not used again in this session)' : ''}` };
      this.watchBackend();
      this.emit({ type: 'backend', backend: this.backend });
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
      this.emit({ type: 'error', message: `Training stopped: ${what}${at}. dinolab now runs on ${this.backend.name}; ${kept}.${advice}` });
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

  private emitConfigured(config: RunConfig): void {
    const spe = this.run ? this.run.stepsPerEpoch : this.stepsPerEpoch(config);
    const own = this.run ? this.run.schedules : buildSchedules(config.train, spe);
    // Events transfer their typed arrays: send copies, the run keeps using its own.
    const schedules = { ...own, lr: own.lr.slice(), wd: own.wd.slice(), momentum: own.momentum.slice(), teacherTemp: own.teacherTemp.slice() };
    const paramCount = dinoShapes(config.model, config.head).reduce((a, [, s]) => a + s.reduce((x, y) => x * y, 1), 0);
    this.emit({ type: 'configured', config, schedules, paramCount });
  }

  private configure(config: RunConfig): void {
    const errors = validateConfig(config);
    if (errors.length) throw new Error(`invalid configuration: ${formatIssues(errors)}`);
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
        limitBytes: MEMORY_BUDGET_BYTES[this.backend?.name ?? ''] ?? null,
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
      if (!this.loaded) throw new Error('no weights loaded: load a .pth or .safetensors file first, or start from random init');
      ({ config, init, center } = this.initFromWeights(config, this.loaded.weights));
      this.config = config;
    }
    const tooBig = memoryRefusal(config, this.backend?.name ?? '');
    if (tooBig) throw new Error(`Not started: ${tooBig}.`);
    this.run?.dispose();
    this.run = null;
    this.metrics = [];
    this.microBatchCap = Infinity;
    this.run = new DinoRun(config, this.store.count, init, center);
    this.fitMemory(this.run);
    this.setInspected('run');
    this.runDatasetSize = this.store.count;
    this.emitConfigured(config);
    this.emit({ type: 'metrics', rows: [] });
    // Step 0 is the first good checkpoint: a run that diverges at once can still roll back, and
    // never to another run's checkpoint.
    await this.persist(this.run);
    this.setState('running');
    void this.loop();
  }

  /** A run config whose backbone is the loaded one; the head too when it fits, else a fresh head. */
  private initFromWeights(config: RunConfig, w: LoadedWeights) {
    const model = w.arch;
    let head = config.head;
    const init: TensorMap = new Map();
    for (const [n, t] of w.backbone) init.set(`backbone.${n}`, t);
    let center: Float32Array | undefined;
    if (w.head && w.headArch) {
      head = { ...w.headArch, normLastLayer: config.head.normLastLayer };
      const expected = headShapes(model.embedDim, head);
      const fits = expected.every(([n, s]) => w.head!.get(n)?.shape.join() === s.join());
      if (fits) {
        for (const [n, t] of w.head) init.set(`head.${n}`, t);
        if (w.center && w.center.data.length === head.outDim) center = w.center.data as Float32Array;
      } else head = config.head;
    }
    if (![...init.keys()].some((k) => k.startsWith('head.'))) {
      for (const [n, t] of initDinoParams(model, head, config.seed)) if (n.startsWith('head.')) init.set(n, t);
    }
    return { config: { ...config, model, head }, init, center };
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
      if (this.losingDevice || (await this.lostWithin(1000))) return;
      if (this.backend?.name === 'wasm' && isWasmAbort(e)) {
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
      if (this.losingDevice || (await this.lostWithin(1000))) return;
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
    if (this.state !== 'running') return;
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
    const plan = planMemory(run.config, this.backend?.name ?? '');
    run.microBatch = Math.max(1, Math.min(plan?.microBatch ?? 1, this.microBatchCap));
  }

  private requireRun(): DinoRun {
    if (!this.run) throw new Error('there is no run yet: start training (or restore a checkpoint) first');
    return this.run;
  }

  // ---- checkpoints and weights -----------------------------------------------------------

  /** Replaces the run with a checkpoint's; returns its step. */
  private async restore(bytes: Uint8Array, requestId: number): Promise<number> {
    if (this.state === 'running') await this.pause();
    const r = restoreCheckpoint(bytes);
    this.run?.dispose();
    this.run = r.run;
    this.fitMemory(r.run);
    this.setInspected('run');
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

  private async loadWeightsFile(requestId: number, fileName: string, bytes: Uint8Array, numHeads?: number): Promise<void> {
    if (isCheckpoint(bytes)) {
      await this.restore(bytes, requestId);
      return;
    }
    // NaN or ±Inf weights are kept aside and reported; they are used only if the person accepts them.
    const w = loadWeights(fileName, bytes, { numHeads, allowNonFinite: true });
    this.pendingWeights = null;
    if (w.nonFinite.length) {
      this.pendingWeights = { fileName, weights: w };
      this.emit({ type: 'weightsLoaded', requestId, report: weightsReport(fileName, w, true) });
      return;
    }
    this.useWeights(requestId, fileName, w);
  }

  private useWeights(requestId: number, fileName: string, w: LoadedWeights): void {
    this.pendingWeights = null;
    this.loaded?.dispose();
    this.loaded = new LoadedModel(w);
    this.loadedFile = fileName;
    this.emit({ type: 'weightsLoaded', requestId, report: weightsReport(fileName, w, false) });
    this.setInspected('weights');
  }

  // ---- inspection ------------------------------------------------------------------------

  /** Features, k-NN, maps and retrieval for the evaluation views (made on first use). */
  private get evaluator(): Evaluator {
    this.evaluatorInstance ??= new Evaluator(this.emit, indexedDbFeatureCache());
    return this.evaluatorInstance;
  }

  /** Which model the inspector reads: the weights when `weights` (or there is no run), else the
   *  run. Told to the UI, which names it beside every view that shows it. */
  private setInspected(source: ModelSource): void {
    this.inspectLoaded = source === 'weights';
    this.emit({ type: 'inspecting', source: this.inspectedSource(), weightsFile: this.loadedFile });
  }

  private inspectedSource(): ModelSource | null {
    if (this.loaded && (this.inspectLoaded || !this.run)) return 'weights';
    return this.run ? 'run' : null;
  }

  /** The name the screen gives the model `inspected` returns. */
  private inspectedName(): string {
    return this.inspectedSource() === 'weights' ? `weights ${this.loadedFile}` : `run at step ${this.run?.step ?? 0}`;
  }

  /** The run, or the loaded weights when they came after it (or there is no run). */
  private inspected(network: Network): InspectModel {
    if (this.loaded && (this.inspectLoaded || !this.run)) return this.loaded.model(network);
    if (this.run) return runModel(this.run, network);
    throw new Error('no model to inspect yet: load weights or start training');
  }

  private async attention(requestId: number, req: AttentionRequest): Promise<void> {
    const model = this.inspectedName();
    const result = await computeAttention(this.inspected(req.network), req, this.config?.augment ?? null, this.run?.step ?? 0);
    this.emit({ type: 'attention', requestId, result: { ...result, model } });
  }

  private async knn(requestId: number, k: number, temperature: number): Promise<void> {
    const m = this.inspected('teacher');
    const model = this.inspectedName();
    const augment = this.config?.augment ?? defaultAugment;
    const r = await knnEvaluate(m, this.store, augment, this.config?.augment.globalSize ?? m.config.imgSize, k, temperature);
    this.emit({ type: 'knn', requestId, top1: r.top1, top5: r.top5, nTrain: r.nTrain, nTest: r.nTest, model });
  }
}
