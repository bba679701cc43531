/**
 * The evaluation views' side of the worker: it extracts the dataset's features once (the model,
 * and as baselines the raw pixels and a randomly initialised ViT of the same shape), keeps them,
 * and answers k-NN, embedding (t-SNE, PCA) and retrieval requests on them. Session routes the
 * commands here; the maths is in engine/eval.
 */
import type { EmbedMethod, FeatureRequest, FeatureSource, FeatureSummary, KnnReport, KnnSettings, WorkerEvent } from '../shared/protocol';
import type { ImageStore } from '../engine/image-store';
import { resizeForCrop, transformKey, type EvalTransform } from '../engine/eval/eval-transform';
import { extractFeatures, fnv1a, pixelFeatures, weightsFingerprint, type FeatureCache, type FeatureModel } from '../engine/eval/features';
import { knnReport, l2NormalizeRows, unscorable } from '../engine/eval/knn-report';
import { squaredDistance } from '../engine/eval/knn-uniform';
import { pca } from '../engine/eval/pca';
import { SKLEARN_TSNE, Tsne } from '../engine/eval/tsne';
import { Rng } from '../shared/rng';
import { UMAP } from 'umap-js';
import { randomModel } from '../engine/model-source';
import { disposeParams } from '../engine/params';
import { IMAGENET_MEAN, IMAGENET_STD } from '../shared/config';

/** The raw-pixel baseline's crop side: small, so its k-NN stays quick (3 * 32 * 32 = 3072 dims). */
const PIXEL_RESOLUTION = 32;
/**
 * Seed of the randomly initialised baseline network: not a run's usual seed 0, so early in a run
 * the baseline is not the run's own starting point (which would score the same).
 */
const RANDOM_INIT_SEED = 12345;

interface FeatureSet {
  summary: FeatureSummary;
  rows: Map<FeatureSource, { data: Float32Array; dim: number }>;
}

export class Evaluator {
  private set: FeatureSet | null = null;
  private cancelRequested = false;

  constructor(
    private readonly emit: (e: WorkerEvent) => void,
    private readonly cache: FeatureCache | undefined,
  ) {}

  cancel(): void {
    this.cancelRequested = true;
  }

  /** Features of every dataset image for `model` (plus baselines when asked). */
  async extract(requestId: number, req: FeatureRequest, store: ImageStore, model: FeatureModel, what: string): Promise<void> {
    this.cancelRequested = false;
    if (store.count === 0) throw new Error('there are no images: add some on the Data tab first');
    if (!(Number.isInteger(req.resolution) && req.resolution >= model.config.patchSize)) {
      throw new Error(`the resolution must be a whole number of pixels, at least the patch size ${model.config.patchSize}`);
    }
    const t0 = performance.now();
    const wanted = req.ids ? new Set(req.ids) : null;
    const images = Array.from({ length: store.count }, (_, i) => store.image(i)).filter((im) => !wanted || wanted.has(im.id));
    if (images.length === 0) throw new Error('none of the selected images is in the dataset any more');
    const names = [...new Set(images.map((im) => im.label).filter((l): l is string => l !== null))].sort();
    const labels = Int32Array.from(images, (im) => (im.label === null ? -1 : names.indexOf(im.label)));
    const t: EvalTransform = { resize: resizeForCrop(req.resolution), crop: req.resolution, mean: IMAGENET_MEAN, std: IMAGENET_STD };
    const imageKeys = images.map((im) => `${im.width}x${im.height}-${fnv1a(im.pixels).toString(16)}`);
    const rows: FeatureSet['rows'] = new Map();
    let fromCache = 0;
    const run = async (source: FeatureSource, m: FeatureModel, stage: string) => {
      const weights = await weightsFingerprint(m);
      const data = await extractFeatures(m, images, t, {
        cancelled: () => this.cancelRequested,
        cache: this.cache,
        keyOf: (i) => `${weights}|${transformKey(t)}|${imageKeys[i]}`,
        onProgress: (p) => {
          fromCache = Math.max(fromCache, p.fromCache);
          this.emit({ type: 'featureProgress', requestId, stage, done: p.done, total: p.total, imagesPerSec: p.imagesPerSec, etaSeconds: p.etaSeconds });
        },
      });
      rows.set(source, { data, dim: m.config.embedDim });
    };
    await run('model', model, `${what}: CLS features`);
    if (req.baselines) {
      const random = randomModel(model.config, RANDOM_INIT_SEED);
      try {
        await run('random', random, 'baseline: randomly initialised ViT');
      } finally {
        disposeParams(random.params);
      }
      const pt: EvalTransform = { ...t, resize: resizeForCrop(PIXEL_RESOLUTION), crop: PIXEL_RESOLUTION };
      rows.set('pixels', { data: pixelFeatures(images, pt), dim: 3 * PIXEL_RESOLUTION * PIXEL_RESOLUTION });
    }
    const summary: FeatureSummary = {
      count: images.length,
      dim: model.config.embedDim,
      ids: images.map((im) => im.id),
      labels,
      classNames: names,
      sources: [...rows.keys()],
      description: `${what}, eval transform Resize(${t.resize}, bicubic) -> CenterCrop(${t.crop})`,
      seconds: (performance.now() - t0) / 1000,
      fromCache,
    };
    this.set = { summary, rows };
    this.emit({ type: 'features', requestId, summary: { ...summary, labels: labels.slice() } });
  }

  private requireSet(): FeatureSet {
    if (!this.set) throw new Error('extract features first');
    return this.set;
  }

  knn(requestId: number, settings: KnnSettings): void {
    const s = this.requireSet();
    if (!(Number.isInteger(settings.k) && settings.k >= 1)) throw new Error(`k must be a whole number >= 1, got ${settings.k}`);
    if (!(settings.valFraction > 0 && settings.valFraction < 1)) throw new Error(`the validation fraction must be between 0 and 1, got ${settings.valFraction}`);
    if (settings.rule === 'dino' && !(settings.temperature > 0)) throw new Error(`the temperature must be > 0, got ${settings.temperature}`);
    const why = unscorable(s.summary.labels, settings);
    const reports: KnnReport[] = why
      ? []
      : [...s.rows].map(([source, r]) => knnReport(source, r.data, r.dim, s.summary.labels, s.summary.classNames.length, settings));
    this.emit({ type: 'evalKnn', requestId, reports, unscorable: why });
  }

  /** A 2-D map of the model's features; t-SNE and UMAP send intermediate maps as they go. */
  async embed(requestId: number, method: EmbedMethod): Promise<void> {
    const s = this.requireSet();
    this.cancelRequested = false;
    const { data, dim } = s.rows.get('model')!;
    const t0 = performance.now();
    let coords: Float64Array;
    if (method === 'pca') {
      coords = pca(data, dim, 2).scores;
    } else if (method === 'umap') {
      coords = await this.umap(requestId, data, dim, s.summary.count);
    } else {
      if (s.summary.count <= SKLEARN_TSNE.perplexity) throw new Error(`t-SNE needs more images than its perplexity (${SKLEARN_TSNE.perplexity}); there are ${s.summary.count}. Use PCA.`);
      const tsne = new Tsne(data, dim);
      let lastSent = performance.now();
      while (!tsne.done) {
        if (this.cancelRequested) throw new Error('t-SNE cancelled');
        tsne.step(10);
        if (performance.now() - lastSent > 250 || tsne.done) {
          this.emit({ type: 'embedProgress', requestId, method, iteration: tsne.iteration, total: tsne.opts.iterations, coords: Float32Array.from(tsne.y) });
          lastSent = performance.now();
        }
        await new Promise((r) => setTimeout(r, 0));
      }
      coords = tsne.y;
    }
    this.emit({ type: 'embedding', requestId, method, coords: Float32Array.from(coords), seconds: (performance.now() - t0) / 1000 });
  }

  /**
   * UMAP with umap-js's defaults (15 neighbours, min_dist 0.1, spectral-free random init from a
   * seeded generator), run epoch by epoch so progress and cancel get through.
   */
  private async umap(requestId: number, data: Float32Array, dim: number, n: number): Promise<Float64Array> {
    if (n < 3) throw new Error(`UMAP needs at least 3 images; there are ${n}. Use PCA.`);
    const rng = new Rng(42);
    const umap = new UMAP({ nComponents: 2, nNeighbors: Math.min(15, n - 1), minDist: 0.1, random: () => rng.next() });
    const rows = Array.from({ length: n }, (_, i) => Array.from(data.subarray(i * dim, (i + 1) * dim)));
    const epochs = umap.initializeFit(rows);
    await new Promise((r) => setTimeout(r, 0));
    let lastSent = performance.now();
    for (let e = 0; e < epochs; ) {
      if (this.cancelRequested) throw new Error('UMAP cancelled');
      for (let j = 0; j < 5 && e < epochs; j++, e++) umap.step();
      if (performance.now() - lastSent > 250 || e === epochs) {
        this.emit({ type: 'embedProgress', requestId, method: 'umap', iteration: e, total: epochs, coords: Float32Array.from(umap.getEmbedding().flat()) });
        lastSent = performance.now();
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    return Float64Array.from(umap.getEmbedding().flat());
  }

  /** The k images most similar to image `index` (itself excluded), under either metric. */
  neighbors(requestId: number, index: number, k: number, metric: 'euclidean' | 'cosine'): void {
    const s = this.requireSet();
    if (!(index >= 0 && index < s.summary.count)) throw new Error(`image index ${index} out of range`);
    const { data: raw, dim } = s.rows.get('model')!;
    const data = metric === 'cosine' ? l2NormalizeRows(raw, dim) : raw;
    const d = Float64Array.from({ length: s.summary.count }, (_, j) => (j === index ? Infinity : squaredDistance(data, dim, index, j)));
    const order = Array.from(d.keys()).sort((a, b) => d[a] - d[b] || a - b).slice(0, Math.min(k, s.summary.count - 1));
    // Cosine distance 1 - cos = |a - b|^2 / 2 for unit vectors.
    const distances = Float32Array.from(order, (j) => (metric === 'cosine' ? d[j] / 2 : Math.sqrt(d[j])));
    this.emit({ type: 'neighbors', requestId, index, indices: Int32Array.from(order), distances });
  }
}
