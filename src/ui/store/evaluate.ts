/** Evaluation slice: extracted features, k-NN reports, the embedding map and the retrieval gallery. */
import type { StateCreator } from 'zustand';
import type { EmbedMethod, FeatureSummary, KnnReport, KnnSettings, Network } from '../../shared/protocol';
import type { Store } from './index';

export interface FeatureProgressView {
  stage: string;
  done: number;
  total: number;
  imagesPerSec: number;
  etaSeconds: number | null;
}

export interface EmbeddingView {
  method: EmbedMethod;
  /** [n, 2] map coordinates, rows in feature order. */
  coords: Float32Array;
  /** t-SNE, UMAP: iterations (epochs) so far and in all (equal when done); PCA: 1 of 1. */
  iteration: number;
  total: number;
  seconds: number | null;
}

export interface NeighborsView {
  index: number;
  indices: Int32Array;
  distances: Float32Array;
  metric: 'euclidean' | 'cosine';
}

/** The write-up's defaults: sklearn rule, k 20, a stratified 80 / 20 split with seed 42. */
export const defaultKnnSettings: KnnSettings = { rule: 'sklearn', k: 20, temperature: 0.07, valFraction: 0.2, seed: 42 };

/** One point of the k-NN monitor: the Train tab's k-NN (official rule) at the end of an epoch. */
export interface KnnMonitorPoint {
  step: number;
  epoch: number;
  top1: number;
  top5: number;
}

export interface EvaluateSlice {
  evalNetwork: Network;
  /** Eval-transform crop side, px. */
  evalResolution: number;
  evalBaselines: boolean;
  /** Extract only the images selected on the Data tab. */
  evalSelectionOnly: boolean;
  features: FeatureSummary | null;
  featureProgress: FeatureProgressView | null;
  featurePending: boolean;
  featureError: string | null;
  knnSettings: KnnSettings;
  knnReports: KnnReport[];
  knnUnscorable: string | null;
  knnEvalPending: boolean;
  embedding: EmbeddingView | null;
  embedPending: boolean;
  /** Row of the image clicked on the map (for the retrieval gallery). */
  selectedRow: number | null;
  neighbors: NeighborsView | null;
  /** Run the Train tab's k-NN every this many epochs while training (0 = off). */
  knnMonitorEvery: number;
  knnHistory: KnnMonitorPoint[];
  setKnnMonitorEvery: (every: number) => void;
  /** Adds a point; points at or after its step (an older run, a restored one) are dropped first. */
  addKnnPoint: (p: KnnMonitorPoint) => void;
  setEvalOptions: (patch: Partial<Pick<EvaluateSlice, 'evalNetwork' | 'evalResolution' | 'evalBaselines' | 'evalSelectionOnly'>>) => void;
  setFeatures: (f: FeatureSummary | null, pending: boolean, error?: string | null) => void;
  setFeatureProgress: (p: FeatureProgressView | null) => void;
  setKnnSettings: (patch: Partial<KnnSettings>) => void;
  setKnnReports: (reports: KnnReport[], unscorable: string | null, pending: boolean) => void;
  setEmbedding: (e: EmbeddingView | null, pending: boolean) => void;
  setEmbedProgress: (method: EmbedMethod, iteration: number, total: number, coords: Float32Array) => void;
  setSelectedRow: (row: number | null) => void;
  setNeighbors: (n: NeighborsView | null) => void;
}

export const createEvaluateSlice: StateCreator<Store, [], [], EvaluateSlice> = (set) => ({
  evalNetwork: 'teacher',
  evalResolution: 224,
  evalBaselines: true,
  evalSelectionOnly: false,
  features: null,
  featureProgress: null,
  featurePending: false,
  featureError: null,
  knnSettings: defaultKnnSettings,
  knnReports: [],
  knnUnscorable: null,
  knnEvalPending: false,
  embedding: null,
  embedPending: false,
  selectedRow: null,
  neighbors: null,
  knnMonitorEvery: 0,
  knnHistory: [],
  setKnnMonitorEvery: (knnMonitorEvery) => set({ knnMonitorEvery }),
  addKnnPoint: (p) => set((s) => ({ knnHistory: [...s.knnHistory.filter((q) => q.step < p.step), p] })),
  setEvalOptions: (patch) => set(patch),
  // New features invalidate everything computed from the old ones.
  setFeatures: (features, featurePending, featureError = null) =>
    set((s) => (features ? { features, featurePending, featureError, knnReports: [], knnUnscorable: null, embedding: null, selectedRow: null, neighbors: null } : { featurePending, featureError, features: s.features })),
  setFeatureProgress: (featureProgress) => set({ featureProgress }),
  setKnnSettings: (patch) => set((s) => ({ knnSettings: { ...s.knnSettings, ...patch } })),
  setKnnReports: (knnReports, knnUnscorable, knnEvalPending) => set({ knnReports, knnUnscorable, knnEvalPending }),
  setEmbedding: (embedding, embedPending) => set({ embedding, embedPending }),
  setEmbedProgress: (method, iteration, total, coords) => set({ embedding: { method, coords, iteration, total, seconds: null } }),
  setSelectedRow: (selectedRow) => set({ selectedRow }),
  setNeighbors: (neighbors) => set({ neighbors }),
});
