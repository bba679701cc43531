/** Collapse-experiment slice: the three short runs of the DINO paper's figure 7. */
import type { StateCreator } from 'zustand';
import type { Store } from './index';

export interface ExperimentRun {
  key: 'no-centering' | 'no-sharpening' | 'both';
  title: string;
  steps: Float64Array;
  entropy: Float64Array;
  kl: Float64Array;
  loss: Float64Array;
  /** Why the run ended before its step budget, if it did. */
  note: string | null;
}

export interface ExperimentSlice {
  experimentSteps: number;
  experimentStatus: 'idle' | 'running' | 'done' | 'cancelled';
  /** Index of the run in progress. */
  experimentIndex: number;
  experimentRuns: ExperimentRun[];
  setExperimentSteps: (n: number) => void;
  setExperimentStatus: (s: ExperimentSlice['experimentStatus'], index?: number) => void;
  setExperimentRuns: (runs: ExperimentRun[]) => void;
}

export const createExperimentSlice: StateCreator<Store, [], [], ExperimentSlice> = (set) => ({
  experimentSteps: 60,
  experimentStatus: 'idle',
  experimentIndex: 0,
  experimentRuns: [],
  setExperimentSteps: (experimentSteps) => set({ experimentSteps }),
  setExperimentStatus: (experimentStatus, index) => set((s) => ({ experimentStatus, experimentIndex: index ?? s.experimentIndex })),
  setExperimentRuns: (experimentRuns) => set({ experimentRuns }),
});
