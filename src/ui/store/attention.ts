/** Attention slice: the image under inspection, the inspector's settings and the last result. */
import type { StateCreator } from 'zustand';
import type { AttentionResult, ImagePixels } from '../../shared/protocol';
import { defaultAttentionSettings, type AttentionSettings } from './settings';
import type { Store } from './index';

export interface AttentionSource {
  /** Dataset image id, or null for an image dropped just for inspection. */
  id: string | null;
  name: string;
  image: ImagePixels;
}

export interface AttentionSlice {
  attentionSource: AttentionSource | null;
  attentionSettings: AttentionSettings;
  /** 0 = CLS, else 1 + r * cols + c. */
  attentionQuery: number;
  attentionResult: AttentionResult | null;
  attentionPending: boolean;
  attentionError: string | null;
  setAttentionSource: (s: AttentionSource | null) => void;
  setAttentionSettings: (patch: Partial<AttentionSettings>) => void;
  setAttentionQuery: (q: number) => void;
  setAttentionResult: (r: AttentionResult | null) => void;
  setAttentionPending: (pending: boolean, error?: string | null) => void;
}

export const createAttentionSlice: StateCreator<Store, [], [], AttentionSlice> = (set) => ({
  attentionSource: null,
  attentionSettings: defaultAttentionSettings,
  attentionQuery: 0,
  attentionResult: null,
  attentionPending: false,
  attentionError: null,
  setAttentionSource: (attentionSource) => set({ attentionSource, attentionQuery: 0, attentionResult: null, attentionError: null }),
  setAttentionSettings: (patch) => set((s) => ({ attentionSettings: { ...s.attentionSettings, ...patch } })),
  setAttentionQuery: (attentionQuery) => set({ attentionQuery }),
  setAttentionResult: (attentionResult) => set({ attentionResult }),
  setAttentionPending: (attentionPending, attentionError = null) => set({ attentionPending, attentionError }),
});
