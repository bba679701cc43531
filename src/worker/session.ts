/**
 * Everything the worker holds between messages (dataset, config, run, loaded weights, metric
 * history) and the generic training loop: run / pause / resume / step / stop, the cadence of
 * metric read-backs and checkpoints, divergence handling. The DINO recipe itself is DinoRun.
 */
import * as tf from '@tensorflow/tfjs';
import { validateConfig, type RunConfig } from '../shared/config';
import type { TensorMap } from '../shared/host-tensor';
import type {
  AttentionRequest,
  BackendChoice,
  BackendInfo,
  ImagePixels,
  MetricRow,
  Progress,
  RunState,
  WorkerCommand,
  WorkerEvent,
} from '../shared/protocol';
import { Rng } from '../shared/rng';
import { buildSchedules } from '../shared/schedule';
import { attentionMaps } from '../engine/attention-maps';
import { selectBackend, type BackendOptions } from '../engine/backend';
import { restoreCheckpoint, saveCheckpoint, isCheckpoint } from '../engine/checkpoint';
import { DinoRun } from '../engine/dino-run';
import { ImageStore } from '../engine/image-store';
import { knnClassify } from '../engine/knn';
import { centerViews, previewCrops } from '../engine/multi-crop';
import { dinoShapes, headShapes, initDinoParams, type Params } from '../engine/params';
import { vitCls } from '../engine/vit';
import { loadWeights, type LoadedWeights } from '../engine/weights/layouts';
import { exportOfficialCheckpoint, exportTeacherBackbone } from './export';
import { loadStoredCheckpoint, storeCheckpoint } from './checkpoint-db';

export type Emit = (e: WorkerEvent) => void;

export class Session {
  private backend: BackendInfo | null = null;
  private store = new ImageStore();
  private config: RunConfig | null = null;
  private run: DinoRun | null = null;
  /** Image count the run was started with (its steps per epoch depend on it). */
  private runDatasetSize = 0;
  private weights: LoadedWeights | null = null;
  private metrics: MetricRow[] = [];
  private state: RunState = 'idle';
  private looping = false;

  constructor(
    private readonly emit: Emit,
    private readonly backendOptions: BackendOptions,
  ) {}

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
        return;
      case 'removeImages':
        this.store.remove(cmd.ids);
        this.emitDataset();
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
        if (this.state === 'paused' || this.state === 'stopped') {
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
      case 'saveCheckpoint': {
        const run = this.requireRun();
        const bytes = await saveCheckpoint(run, this.runDatasetSize, this.metrics);
        const buf = bytes.slice().buffer;
        this.emit({ type: 'checkpoint', requestId: cmd.requestId, bytes: buf, fileName: `dinolab-step${run.step}.safetensors` });
        return;
      }
      case 'restoreCheckpoint': {
        const bytes = cmd.bytes ? new Uint8Array(cmd.bytes) : await loadStoredCheckpoint();
        if (!bytes) throw new Error('no stored checkpoint to restore');
        await this.restore(bytes, cmd.requestId);
        return;
      }
      case 'exportWeights': {
        const run = this.requireRun();
        const file =
          cmd.format === 'official-checkpoint'
            ? await exportOfficialCheckpoint(run)
            : await exportTeacherBackbone(run);
        this.emit({ type: 'exported', requestId: cmd.requestId, bytes: file.bytes.slice().buffer, fileName: file.fileName });
        return;
      }
      case 'attention':
        await this.attention(cmd.requestId, cmd.request);
        return;
      case 'augmentPreview': {
        const errors = validateConfig(cmd.config);
        if (errors.length) throw new Error(errors.join('; '));
        const preview = await previewCrops(cmd.image, cmd.config.augment, new Rng((Math.random() * 2 ** 32) >>> 0));
        this.emit({ type: 'augmentPreview', requestId: cmd.requestId, crops: preview.crops, kinds: preview.kinds });
        return;
      }
      case 'knn':
        await this.knn(cmd.requestId, cmd.k, cmd.temperature);
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
    this.backend = await selectBackend(choice, this.backendOptions);
    if (carried) {
      const r = restoreCheckpoint(carried);
      this.run = r.run;
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
    if (errors.length) throw new Error(`invalid configuration: ${errors.join('; ')}`);
    if (this.run && this.state === 'running') throw new Error('stop the run before changing its configuration');
    this.config = config;
    this.emitConfigured(config);
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
      if (!this.weights) throw new Error('no weights loaded: load a .pth or .safetensors file first, or start from random init');
      ({ config, init, center } = this.initFromWeights(config, this.weights));
      this.config = config;
    }
    this.run?.dispose();
    this.run = null;
    this.metrics = [];
    this.run = new DinoRun(config, this.store.count, init, center);
    this.runDatasetSize = this.store.count;
    this.emitConfigured(config);
    this.emit({ type: 'metrics', rows: [] });
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
      while (this.state === 'running' && this.run === run && !run.done) {
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
      const stored = await loadStoredCheckpoint().catch(() => null);
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
      await storeCheckpoint(await saveCheckpoint(run, this.runDatasetSize, this.metrics));
    } catch (e) {
      this.emit({ type: 'error', message: `could not save the checkpoint in the browser: ${(e as Error).message}` });
    }
  }

  private async pause(): Promise<void> {
    this.state = 'paused';
    while (this.looping) await new Promise((r) => setTimeout(r, 5));
    const run = this.run;
    if (run) {
      await this.flush(run);
      await this.persist(run);
    }
    this.setState('paused');
  }

  private async stepOnce(): Promise<void> {
    if (this.state === 'running') throw new Error('pause training before stepping');
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

  private async stop(): Promise<void> {
    if (this.state === 'running') await this.pause();
    this.setState('stopped');
  }

  private requireRun(): DinoRun {
    if (!this.run) throw new Error('there is no run yet: start training (or restore a checkpoint) first');
    return this.run;
  }

  // ---- checkpoints and weights -----------------------------------------------------------

  private async restore(bytes: Uint8Array, requestId: number): Promise<void> {
    if (this.state === 'running') await this.pause();
    const r = restoreCheckpoint(bytes);
    this.run?.dispose();
    this.run = r.run;
    this.runDatasetSize = r.datasetSize;
    this.config = r.run.config;
    this.metrics = r.metrics;
    this.emitConfigured(this.config);
    this.emit({ type: 'metrics', rows: r.metrics });
    this.emit({ type: 'restored', requestId, step: r.run.step });
    this.setState(r.run.done ? 'finished' : 'paused');
  }

  private async resumeStored(): Promise<void> {
    const bytes = await loadStoredCheckpoint().catch(() => null);
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
    const w = loadWeights(fileName, bytes, { numHeads });
    this.weights = w;
    this.emit({
      type: 'weightsLoaded',
      requestId,
      report: {
        fileName,
        layout: w.layout,
        arch: w.arch,
        unexpected: w.unexpected,
        missing: w.missing,
        hasHead: w.head !== null,
      },
    });
  }

  // ---- inspection ------------------------------------------------------------------------

  /** The network to inspect: the run's teacher/student, else the loaded weights (uploaded for the call). */
  private inspectParams(network: 'teacher' | 'student'): { params: Params; config: RunConfig['model']; owned: boolean } {
    if (this.run) return { params: network === 'teacher' ? this.run.model.teacher : this.run.model.student, config: this.run.model.vit, owned: false };
    if (this.weights) {
      const params: Params = {};
      for (const [n, t] of this.weights.backbone) params[`backbone.${n}`] = tf.tensor(t.data, t.shape);
      return { params, config: this.weights.arch, owned: true };
    }
    throw new Error('no model to inspect yet: load weights or start training');
  }

  private async attention(requestId: number, req: AttentionRequest): Promise<void> {
    const { params, config, owned } = this.inspectParams(req.network);
    try {
      const p = config.patchSize;
      let H: number;
      let W: number;
      let x: tf.Tensor4D;
      if (req.input) {
        [, , H, W] = req.input.shape;
        x = tf.tensor4d(req.input.data, req.input.shape);
      } else {
        H = Math.max(p, Math.floor(req.size[0] / p) * p);
        W = Math.max(p, Math.floor(req.size[1] / p) * p);
        x = imageToInput(req.image, H, W, this.config?.augment.mean ?? [0.485, 0.456, 0.406], this.config?.augment.std ?? [0.229, 0.224, 0.225]);
      }
      const block = req.block < 0 ? config.depth + req.block : req.block;
      const maps = await attentionMaps(params, config, x, block, req.query);
      x.dispose();
      this.emit({
        type: 'attention',
        requestId,
        result: {
          maps: maps.maps,
          heads: maps.heads,
          grid: maps.grid,
          size: [H, W],
          patchSize: p,
          network: req.network,
          block,
          query: req.query,
          step: this.run?.step ?? 0,
        },
      });
    } finally {
      if (owned) for (const t of Object.values(params)) t.dispose();
    }
  }

  private async knn(requestId: number, k: number, temperature: number): Promise<void> {
    const { params, config, owned } = this.inspectParams('teacher');
    try {
      const labels = this.store.labels;
      const names = [...new Set(labels.filter((l): l is string => l !== null))].sort();
      if (names.length < 2) throw new Error('k-NN needs labelled images of at least two classes (folder names are labels)');
      const labelled = labels.map((l, i) => (l === null ? -1 : i)).filter((i) => i >= 0);
      // Every fifth labelled image is a query, the rest the memory bank.
      const test = labelled.filter((_, j) => j % 5 === 0);
      const train = labelled.filter((_, j) => j % 5 !== 0);
      const size = this.config?.augment.globalSize ?? config.imgSize;
      const augment = this.config?.augment ?? { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
      const feats = async (idx: number[]): Promise<tf.Tensor2D> => {
        const parts: tf.Tensor2D[] = [];
        const chunk = Math.min(64, idx.length);
        for (let i = 0; i < idx.length; i += chunk) {
          // Pad the last chunk by repeating indices: one batch shape, so WebGPU's buffer pool does not grow.
          const part = Int32Array.from({ length: chunk }, (_, j) => idx[Math.min(i + j, idx.length - 1)]);
          const x = centerViews(this.store, part, size, augment as RunConfig['augment']);
          const f = vitCls(params, config, x);
          const n = Math.min(chunk, idx.length - i);
          parts.push(n === chunk ? f : (tf.slice(f, [0, 0], [n, -1]) as tf.Tensor2D));
          if (n !== chunk) f.dispose();
          x.dispose();
          await new Promise((r) => setTimeout(r, 0));
        }
        const out = tf.concat(parts, 0) as tf.Tensor2D;
        parts.forEach((t) => t.dispose());
        return out;
      };
      const trF = await feats(train);
      const teF = await feats(test);
      const toIds = (idx: number[]) => Int32Array.from(idx, (i) => names.indexOf(labels[i]!));
      const r = await knnClassify(trF, toIds(train), teF, toIds(test), names.length, k, temperature);
      trF.dispose();
      teF.dispose();
      this.emit({ type: 'knn', requestId, top1: r.top1, top5: r.top5, nTrain: train.length, nTest: test.length });
    } finally {
      if (owned) for (const t of Object.values(params)) t.dispose();
    }
  }
}

/** RGB bytes -> bilinear resize to H x W -> ImageNet-normalised NCHW (1, 3, H, W). Caller owns it. */
export function imageToInput(img: ImagePixels, H: number, W: number, mean: number[], std: number[]): tf.Tensor4D {
  if (img.pixels.length !== img.width * img.height * 3) {
    throw new Error(`image bytes (${img.pixels.length}) do not match ${img.width}x${img.height} RGB`);
  }
  return tf.tidy(() => {
    const x = tf.div(tf.tensor3d(Float32Array.from(img.pixels), [img.height, img.width, 3]), 255);
    const resized = tf.image.resizeBilinear(tf.expandDims(x, 0) as tf.Tensor4D, [H, W], false, true);
    const normed = tf.div(tf.sub(resized, tf.tensor1d(mean)), tf.tensor1d(std));
    return tf.transpose(normed, [0, 3, 1, 2]) as tf.Tensor4D;
  });
}
