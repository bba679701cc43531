/** Run slice: the config being edited, the backend, and the state of the run the worker reports. */
import type { StateCreator } from 'zustand';
import { runPresets, type RunConfig } from '../../shared/config';
import type { BackendChoice, BackendInfo, Progress, Schedules } from '../../shared/protocol';
import { setPath } from '../../shared/config-fields';
import type { PresetName } from './settings';
import type { Store } from './index';

export interface KnnResult {
  /** Accuracies in percent. */
  top1: number;
  top5: number;
  nTrain: number;
  nTest: number;
  step: number;
  /** The model evaluated, as the screen names it ("run at step 572", "weights x.pth"). */
  model: string;
}

export interface RunSlice {
  config: RunConfig;
  preset: PresetName;
  configModified: boolean;
  backendChoice: BackendChoice;
  backend: BackendInfo | null;
  workerReady: boolean;
  progress: Progress | null;
  /** What the worker answered to the last `configure`: the config it holds (the run's, once one
   *  started) and the schedules of it. */
  configured: { config: RunConfig; schedules: Schedules; paramCount: number } | null;
  /** The schedules the worker planned for the form's config (its answer to the last preview). */
  plannedSchedules: Schedules | null;
  diverged: { step: number; message: string; canRollBack: boolean } | null;
  /** Step of a run restored at start-up, shown once. */
  resumedAt: number | null;
  /** Start from loaded weights instead of a fresh initialisation. */
  fromWeights: boolean;
  knn: KnnResult | null;
  knnPending: boolean;
  setPreset: (preset: PresetName) => void;
  setField: (path: string, value: unknown) => void;
  replaceConfig: (config: RunConfig, modified: boolean) => void;
  setBackendChoice: (choice: BackendChoice) => void;
  setBackend: (info: BackendInfo, ready: boolean) => void;
  setProgress: (p: Progress) => void;
  setConfigured: (c: RunSlice['configured']) => void;
  setPlannedSchedules: (s: Schedules | null) => void;
  setDiverged: (d: RunSlice['diverged']) => void;
  setResumedAt: (step: number | null) => void;
  setFromWeights: (v: boolean) => void;
  setKnn: (r: KnnResult | null, pending: boolean) => void;
}

export const createRunSlice: StateCreator<Store, [], [], RunSlice> = (set) => ({
  config: runPresets.nano,
  preset: 'nano',
  configModified: false,
  backendChoice: 'auto',
  backend: null,
  workerReady: false,
  progress: null,
  configured: null,
  plannedSchedules: null,
  diverged: null,
  resumedAt: null,
  fromWeights: false,
  knn: null,
  knnPending: false,
  setPreset: (preset) => set({ preset, config: runPresets[preset], configModified: false }),
  setField: (path, value) => set((s) => ({ config: setPath(s.config, path, value), configModified: true })),
  replaceConfig: (config, configModified) => set({ config, configModified }),
  setBackendChoice: (backendChoice) => set({ backendChoice }),
  setBackend: (backend, ready) => set((s) => ({ backend, workerReady: s.workerReady || ready })),
  setProgress: (progress) => set({ progress }),
  setConfigured: (configured) => set({ configured }),
  setPlannedSchedules: (plannedSchedules) => set({ plannedSchedules }),
  setDiverged: (diverged) => set({ diverged }),
  setResumedAt: (resumedAt) => set({ resumedAt }),
  setFromWeights: (fromWeights) => set({ fromWeights }),
  setKnn: (knn, knnPending) => set({ knn, knnPending }),
});
