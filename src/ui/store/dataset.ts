/** Dataset slice: what the gallery shows (pixels live in IndexedDB and in the worker, not here). */
import type { StateCreator } from 'zustand';
import type { Store } from './index';

export interface ImageMeta {
  id: string;
  /** File name (or demo name) for display. */
  name: string;
  label: string | null;
  width: number;
  height: number;
}

export interface ImportProgress {
  done: number;
  total: number;
  /** What is being imported, e.g. "12 files" or "Fashion-MNIST demo". */
  what: string;
}

/** Gallery filter: a label, null for unlabelled, 'all' for everything. */
export type LabelFilter = string | null | 'all';

export interface DatasetSlice {
  images: ImageMeta[];
  selection: ReadonlySet<string>;
  labelFilter: LabelFilter;
  importProgress: ImportProgress | null;
  /** "name: reason" lines of the last imports. */
  skipped: string[];
  /** True once IndexedDB was read at start-up. */
  datasetReady: boolean;
  /** What the worker holds, from its `dataset` event. */
  workerDataset: { count: number; labels: Record<string, number> } | null;
  addImages: (images: ImageMeta[]) => void;
  removeImages: (ids: string[]) => void;
  clearImages: () => void;
  setSelection: (ids: ReadonlySet<string>) => void;
  setLabelFilter: (f: LabelFilter) => void;
  setImportProgress: (p: ImportProgress | null) => void;
  addSkipped: (lines: string[]) => void;
  clearSkipped: () => void;
  setDatasetReady: () => void;
  setWorkerDataset: (d: { count: number; labels: Record<string, number> }) => void;
}

export const createDatasetSlice: StateCreator<Store, [], [], DatasetSlice> = (set) => ({
  images: [],
  selection: new Set(),
  labelFilter: 'all',
  importProgress: null,
  skipped: [],
  datasetReady: false,
  workerDataset: null,
  addImages: (added) =>
    set((s) => {
      const ids = new Set(added.map((m) => m.id));
      return { images: [...s.images.filter((m) => !ids.has(m.id)), ...added] };
    }),
  removeImages: (removed) =>
    set((s) => {
      const ids = new Set(removed);
      const selection = new Set([...s.selection].filter((id) => !ids.has(id)));
      return { images: s.images.filter((m) => !ids.has(m.id)), selection };
    }),
  clearImages: () => set({ images: [], selection: new Set(), labelFilter: 'all' }),
  setSelection: (selection) => set({ selection }),
  setLabelFilter: (labelFilter) => set({ labelFilter }),
  setImportProgress: (importProgress) => set({ importProgress }),
  addSkipped: (lines) => set((s) => ({ skipped: [...s.skipped, ...lines] })),
  clearSkipped: () => set({ skipped: [] }),
  setDatasetReady: () => set({ datasetReady: true }),
  setWorkerDataset: (workerDataset) => set({ workerDataset }),
});
