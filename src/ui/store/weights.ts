/** Weights slice: loading progress and the worker's report on the loaded weights. */
import type { StateCreator } from 'zustand';
import type { ModelSource, WeightsReport } from '../../shared/protocol';
import type { Store } from './index';

export interface WeightsLoading {
  what: string;
  loaded: number;
  total: number | null;
  /** 'download' while bytes arrive, 'parse' while the worker reads them. */
  phase: 'download' | 'parse';
}

export interface WeightsSlice {
  weightsReport: WeightsReport | null;
  weightsLoading: WeightsLoading | null;
  weightsError: string | null;
  /** What the inspector and the evaluations read, as the worker last said. */
  inspecting: { source: ModelSource | null; weightsFile: string | null };
  setInspecting: (i: WeightsSlice['inspecting']) => void;
  setWeightsReport: (r: WeightsReport | null) => void;
  setWeightsLoading: (l: WeightsLoading | null) => void;
  setWeightsError: (e: string | null) => void;
}

export const createWeightsSlice: StateCreator<Store, [], [], WeightsSlice> = (set) => ({
  weightsReport: null,
  weightsLoading: null,
  weightsError: null,
  inspecting: { source: null, weightsFile: null },
  setInspecting: (inspecting) => set({ inspecting }),
  setWeightsReport: (weightsReport) => set({ weightsReport, weightsError: null }),
  setWeightsLoading: (weightsLoading) => set({ weightsLoading }),
  setWeightsError: (weightsError) => set({ weightsError }),
});
