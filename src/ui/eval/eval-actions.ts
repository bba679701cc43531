/** The Evaluate tab's actions: extract features, score k-NN, draw a map, find neighbours, export. */
import { download } from '../common/download';
import { embeddingToCsv, embeddingToSvg } from './map-data';
import { inspectDatasetImage } from '../attention/attention-actions';
import { useStore } from '../store';
import { client } from '../worker/worker-client';

export async function extractFeatures(): Promise<void> {
  const s = useStore.getState();
  s.setFeatures(null, true);
  s.setFeatureProgress(null);
  try {
    const r = await client.request<'extractFeatures'>({
      type: 'extractFeatures',
      request: {
        network: s.evalNetwork,
        resolution: s.evalResolution,
        baselines: s.evalBaselines,
        ids: s.evalSelectionOnly && s.selection.size > 0 ? [...s.selection] : undefined,
      },
    });
    useStore.getState().setFeatures(r.summary, false);
    // The first scores and map follow on their own, after the new sections have rendered.
    await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all([evaluateKnnRules(), embed('pca')]);
  } catch (e) {
    useStore.getState().setFeatures(null, false, (e as Error).message);
  } finally {
    useStore.getState().setFeatureProgress(null);
  }
}

/** Stops an extraction or a t-SNE run in the worker (between batches or iterations). */
export function cancelEvaluation(): void {
  client.send({ type: 'cancelEval' });
}

export async function evaluateKnnRules(): Promise<void> {
  const s = useStore.getState();
  if (!s.features) return;
  s.setKnnReports(s.knnReports, s.knnUnscorable, true);
  try {
    const r = await client.request<'evalKnn'>({ type: 'evalKnn', settings: s.knnSettings });
    useStore.getState().setKnnReports(r.reports, r.unscorable, false);
  } catch (e) {
    useStore.getState().setKnnReports([], (e as Error).message, false);
  }
}

export async function embed(method: 'tsne' | 'umap' | 'pca'): Promise<void> {
  const s = useStore.getState();
  if (!s.features) return;
  s.setEmbedding(s.embedding, true);
  try {
    const r = await client.request<'embed'>({ type: 'embed', method });
    useStore.getState().setEmbedding({ method: r.method, coords: r.coords, iteration: 1, total: 1, seconds: r.seconds }, false);
  } catch (e) {
    useStore.getState().setEmbedding(null, false);
    useStore.getState().pushToast('error', (e as Error).message);
  }
}

export async function showNeighbors(row: number, k = 8, metric: 'euclidean' | 'cosine' = 'cosine'): Promise<void> {
  const s = useStore.getState();
  s.setSelectedRow(row);
  try {
    const r = await client.request<'neighbors'>({ type: 'neighbors', index: row, k, metric });
    if (useStore.getState().selectedRow === row) useStore.getState().setNeighbors({ index: r.index, indices: r.indices, distances: r.distances, metric });
  } catch (e) {
    useStore.getState().pushToast('error', (e as Error).message);
  }
}

/** Opens the image of a feature row in the attention inspector. */
export async function inspectRow(row: number): Promise<void> {
  const s = useStore.getState();
  const id = s.features?.ids[row];
  if (!id) return;
  s.setTab('attention');
  await inspectDatasetImage(id);
}

export function exportEmbeddingSvg(): void {
  const { embedding: e, features: f } = useStore.getState();
  if (!e || !f) return;
  const title = `${e.method === 'tsne' ? 't-SNE' : e.method.toUpperCase()} of ${f.count} images`;
  download(embeddingToSvg(e.coords, f.ids, f.labels, f.classNames, title), `dinolab-${e.method}.svg`, 'image/svg+xml');
}

export function exportEmbeddingCsv(): void {
  const { embedding: e, features: f } = useStore.getState();
  if (!e || !f) return;
  download(embeddingToCsv(e.coords, f.ids, f.labels, f.classNames), `dinolab-${e.method}.csv`, 'text/csv');
}
