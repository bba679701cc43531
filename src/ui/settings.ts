/**
 * Config and UI settings saved in localStorage so a reload loses nothing. Stored values are merged
 * field by field onto the current defaults: a field whose type changed or that a newer version
 * added falls back to its default instead of breaking the app.
 */
import { runPresets, type RunConfig } from '../shared/config';
import type { BackendChoice } from '../shared/protocol';

export type PresetName = keyof typeof runPresets;
export type TabId = 'data' | 'train' | 'attention' | 'weights' | 'export';
export type ColormapName = 'viridis' | 'inferno' | 'magma';

export interface AttentionSettings {
  /** Target resolution in px (the longer side when keeping the aspect). */
  resolution: number;
  aspect: 'square' | 'keep-aspect';
  network: 'teacher' | 'student';
  /** Block index, negative from the end (-1 = last). */
  block: number;
  colormap: ColormapName;
  opacity: number;
  /** Mass kept by the thresholded masks, in (0, 1]. */
  threshold: number;
  showMasks: boolean;
  hiddenHeads: number[];
  liveRefresh: boolean;
  refreshEvery: number;
}

export interface Settings {
  config: RunConfig;
  preset: PresetName;
  /** True once a field was edited after picking the preset. */
  configModified: boolean;
  backendChoice: BackendChoice;
  tab: TabId;
  smoothing: number;
  fromWeights: boolean;
  experimentSteps: number;
  attention: AttentionSettings;
}

export const defaultAttentionSettings: AttentionSettings = {
  resolution: 224,
  aspect: 'square',
  network: 'teacher',
  block: -1,
  colormap: 'viridis',
  opacity: 0.6,
  threshold: 0.6,
  showMasks: true,
  hiddenHeads: [],
  liveRefresh: false,
  refreshEvery: 20,
};

export const defaultSettings: Settings = {
  config: runPresets.nano,
  preset: 'nano',
  configModified: false,
  backendChoice: 'auto',
  tab: 'data',
  smoothing: 0.6,
  fromWeights: false,
  experimentSteps: 60,
  attention: defaultAttentionSettings,
};

const KEY = 'dinolab.settings.v1';

/**
 * `stored` merged onto `base`: objects recursively, arrays only with the same length and element
 * types, leaves only with the same type (finite numbers only). Keys not in `base` are dropped.
 */
export function mergeStored<T>(base: T, stored: unknown): T {
  if (Array.isArray(base)) {
    if (!Array.isArray(stored) || stored.length !== base.length) return base;
    return base.map((b, i) => mergeStored(b, stored[i])) as T;
  }
  if (base !== null && typeof base === 'object') {
    if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return base;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(base)) out[k] = mergeStored(v, (stored as Record<string, unknown>)[k]);
    return out as T;
  }
  if (typeof base === 'number') return (typeof stored === 'number' && Number.isFinite(stored) ? stored : base) as T;
  return (typeof stored === typeof base ? stored : base) as T;
}

/** Settings from storage; hidden heads are a free-length list and restored separately. */
export function parseSettings(text: string | null): Settings {
  if (!text) return defaultSettings;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return defaultSettings;
  }
  const merged = mergeStored(defaultSettings, raw);
  const oneOf = <T extends string>(v: T, allowed: readonly T[], fallback: T): T => (allowed.includes(v) ? v : fallback);
  const stored = (raw as { attention?: { hiddenHeads?: unknown } }).attention?.hiddenHeads;
  const hiddenHeads = Array.isArray(stored) ? stored.filter((h): h is number => Number.isInteger(h)) : [];
  return {
    ...merged,
    preset: oneOf(merged.preset, Object.keys(runPresets) as PresetName[], 'nano'),
    tab: oneOf(merged.tab, ['data', 'train', 'attention', 'weights', 'export'], 'data'),
    backendChoice: oneOf(merged.backendChoice, ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'], 'auto'),
    attention: {
      ...merged.attention,
      aspect: oneOf(merged.attention.aspect, ['square', 'keep-aspect'], 'square'),
      network: oneOf(merged.attention.network, ['teacher', 'student'], 'teacher'),
      colormap: oneOf(merged.attention.colormap, ['viridis', 'inferno', 'magma'], 'viridis'),
      hiddenHeads,
    },
  };
}

export function loadSettings(storage: Pick<Storage, 'getItem'> = localStorage): Settings {
  try {
    return parseSettings(storage.getItem(KEY));
  } catch {
    return defaultSettings;
  }
}

export function saveSettings(settings: Settings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(settings));
  } catch {
    // Storage full or disabled (private mode): settings just do not survive the reload.
  }
}
