/** UI slice: active tab, toasts, chart settings, augmentation preview. */
import type { StateCreator } from 'zustand';
import type { ImagePixels } from '../../shared/protocol';
import type { TabId } from './settings';
import type { Store } from './index';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

export interface AugmentPreview {
  imageId: string;
  name: string;
  crops: ImagePixels[];
  kinds: ('global' | 'local')[];
}

export interface UiSlice {
  tab: TabId;
  toasts: Toast[];
  /** EMA weight of the chart smoothing slider, 0 = raw. */
  smoothing: number;
  /** Shared x-range of the training charts (steps); null = everything. */
  zoom: [number, number] | null;
  shortcutsOpen: boolean;
  augmentPreview: AugmentPreview | null;
  augmentPending: boolean;
  setTab: (tab: TabId) => void;
  pushToast: (kind: Toast['kind'], message: string) => void;
  dismissToast: (id: number) => void;
  setSmoothing: (v: number) => void;
  setZoom: (z: [number, number] | null) => void;
  setShortcutsOpen: (open: boolean) => void;
  setAugmentPreview: (p: AugmentPreview | null, pending: boolean) => void;
}

let nextToast = 1;

export const createUiSlice: StateCreator<Store, [], [], UiSlice> = (set) => ({
  tab: 'data',
  toasts: [],
  smoothing: 0.6,
  zoom: null,
  shortcutsOpen: false,
  augmentPreview: null,
  augmentPending: false,
  setTab: (tab) => set({ tab }),
  pushToast: (kind, message) =>
    set((s) => {
      // The same message twice in a row (e.g. a repeated failure) shows once.
      if (s.toasts.some((t) => t.message === message)) return s;
      return { toasts: [...s.toasts, { id: nextToast++, kind, message }].slice(-6) };
    }),
  dismissToast: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
  setSmoothing: (smoothing) => set({ smoothing }),
  setZoom: (zoom) => set({ zoom }),
  setShortcutsOpen: (shortcutsOpen) => set({ shortcutsOpen }),
  setAugmentPreview: (augmentPreview, augmentPending) => set({ augmentPreview, augmentPending }),
});
