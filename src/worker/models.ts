/**
 * What the inspector and the evaluations read, and the work they ask of it: the run's networks or
 * weights loaded from a file (held back while they hold NaN or ±Inf, until the person accepts
 * them), which of the two the screen names, attention maps, k-NN, features and patch views. The
 * model code is the engine's; this file only decides which model a request reads and answers it.
 */
import { defaultAugment, type AugmentConfig } from '../shared/config';
import type { AttentionRequest, FeatureRequest, ModelSource, Network, PatchViewsRequest, WeightsReport, WorkerEvent } from '../shared/protocol';
import type { DinoRun } from '../engine/dino-run';
import type { FeatureModel } from '../engine/eval/features';
import type { ImageStore } from '../engine/image-store';
import { computeAttention, computePatchViews } from '../engine/inspector';
import { storeKnn } from '../engine/knn';
import { LoadedModel, runModel } from '../engine/model-source';
import { loadWeights, type LoadedWeights } from '../engine/weights/layouts';
import { Evaluator } from './evaluate';
import { indexedDbFeatureCache } from './feature-cache';

type Emit = (e: WorkerEvent) => void;

/** What the Weights tab shows about a file the worker read. */
function weightsReport(fileName: string, w: LoadedWeights, pending: boolean): WeightsReport {
  return {
    fileName, layout: w.layout, arch: w.arch, unexpected: w.unexpected, missing: w.missing,
    hasHead: w.head !== null, nonFinite: w.nonFinite, pending,
  };
}

export class Models {
  private loaded: LoadedModel | null = null;
  /** True when weights were loaded after the current run began: the inspector shows them. */
  private inspectLoaded = false;
  /** File name of the loaded weights, as the screen names them. */
  private loadedFile: string | null = null;
  /** Weights holding NaN or ±Inf, reported and waiting for `accept`. */
  private pending: { fileName: string; weights: LoadedWeights } | null = null;
  private evaluatorInstance: Evaluator | null = null;

  constructor(
    private readonly emit: Emit,
    /** The session's current run, if any. */
    private readonly run: () => DinoRun | null,
  ) {}

  /** The loaded weights (for a run started from them); null when none are loaded. */
  get weights(): LoadedWeights | null {
    return this.loaded?.weights ?? null;
  }

  /** Device copies of the loaded weights belong to a backend: after a switch they are uploaded again. */
  dropDeviceCopies(): void {
    this.loaded?.dispose();
  }

  /** Reads a weights file; NaN or ±Inf weights are kept aside and reported, used only once accepted. */
  load(requestId: number, fileName: string, bytes: Uint8Array, numHeads?: number): void {
    const w = loadWeights(fileName, bytes, { numHeads, allowNonFinite: true });
    this.pending = null;
    if (w.nonFinite.length) {
      this.pending = { fileName, weights: w };
      this.emit({ type: 'weightsLoaded', requestId, report: weightsReport(fileName, w, true) });
      return;
    }
    this.use(requestId, fileName, w);
  }

  accept(requestId: number): void {
    if (!this.pending) throw new Error('no weights are waiting to be accepted');
    this.use(requestId, this.pending.fileName, this.pending.weights);
  }

  private use(requestId: number, fileName: string, w: LoadedWeights): void {
    this.pending = null;
    this.loaded?.dispose();
    this.loaded = new LoadedModel(w);
    this.loadedFile = fileName;
    this.emit({ type: 'weightsLoaded', requestId, report: weightsReport(fileName, w, false) });
    this.show('weights');
  }

  /** Which model the inspector reads: the weights when `weights` (or there is no run), else the
   *  run. Told to the UI, which names it beside every view that shows it. */
  show(source: ModelSource): void {
    if (source === 'weights' && !this.loaded) throw new Error('no weights are loaded: load a file in the Weights tab first');
    if (source === 'run' && !this.run()) throw new Error('there is no run to inspect: start training or restore a checkpoint');
    this.inspectLoaded = source === 'weights';
    this.emit({ type: 'inspecting', source: this.source(), weightsFile: this.loadedFile });
  }

  private source(): ModelSource | null {
    if (this.loaded && (this.inspectLoaded || !this.run())) return 'weights';
    return this.run() ? 'run' : null;
  }

  /** The name the screen gives the model `model` returns. */
  name(): string {
    return this.source() === 'weights' ? `weights ${this.loadedFile}` : `run at step ${this.run()?.step ?? 0}`;
  }

  /** The run, or the loaded weights when they came after it (or there is no run). */
  model(network: Network): FeatureModel {
    const run = this.run();
    if (this.loaded && (this.inspectLoaded || !run)) return this.loaded.model(network);
    if (run) return runModel(run, network);
    throw new Error('no model to inspect yet: load weights or start training');
  }

  /** Features, k-NN, maps and retrieval for the evaluation views (made on first use). */
  get evaluator(): Evaluator {
    this.evaluatorInstance ??= new Evaluator(this.emit, indexedDbFeatureCache());
    return this.evaluatorInstance;
  }

  async attention(requestId: number, req: AttentionRequest, augment: AugmentConfig | null): Promise<void> {
    const model = this.name();
    const result = await computeAttention(this.model(req.network), req, augment, this.run()?.step ?? 0);
    this.emit({ type: 'attention', requestId, result: { ...result, model } });
  }

  /** The Train tab's k-NN button on the dataset, eval crops of the global crop size. */
  async knn(requestId: number, store: ImageStore, augment: AugmentConfig | null, k: number, temperature: number): Promise<void> {
    const m = this.model('teacher');
    const model = this.name();
    const a = augment ?? defaultAugment;
    const r = await storeKnn(m, store, { size: augment?.globalSize ?? m.config.imgSize, mean: a.mean, std: a.std, k, temperature });
    this.emit({ type: 'knn', requestId, top1: r.top1, top5: r.top5, nTrain: r.nTrain, nTest: r.nTest, model });
  }

  async extract(requestId: number, req: FeatureRequest, store: ImageStore): Promise<void> {
    await this.evaluator.extract(requestId, req, store, this.model(req.network), `${this.name()} (${req.network})`);
  }

  async patchViews(requestId: number, req: PatchViewsRequest, augment: AugmentConfig | null): Promise<void> {
    const result = await computePatchViews(this.model(req.network), req, augment);
    this.emit({ type: 'patchViews', requestId, result });
  }
}
