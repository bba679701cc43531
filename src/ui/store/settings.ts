/**
 * Config and UI settings saved in localStorage so a reload loses nothing. Stored values are merged
 * field by field onto the current defaults: a field whose type changed or that a newer version
 * added falls back to its default instead of breaking the app. Only valid configs are written,
 * and what is read is validated again (storage can hold anything an older version wrote).
 */
import { runPresets, validateConfig, type RunConfig } from '../../shared/config';
import type { BackendChoice } from '../../shared/protocol';
import { fieldLabel } from '../train/config-fields';

export type PresetName = keyof typeof runPresets;
export type TabId = 'data' | 'train' | 'attention' | 'weights' | 'export' | 'evaluate';
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

/** Settings as read from storage, with a sentence for each stored value that was refused. */
export interface LoadedSettings {
  settings: Settings;
  notices: string[];
}

/** Bounds of the view settings that reach the worker or a chart. */
const VIEW_RULES: { name: string; get: (s: Settings) => number; set: (s: Settings, v: number) => Settings; min: number; max: number; int: boolean }[] = [
  { name: 'attention resolution', get: (s) => s.attention.resolution, set: (s, v) => ({ ...s, attention: { ...s.attention, resolution: v } }), min: 16, max: 1024, int: true },
  { name: 'attention block', get: (s) => s.attention.block, set: (s, v) => ({ ...s, attention: { ...s.attention, block: v } }), min: -48, max: 47, int: true },
  { name: 'overlay opacity', get: (s) => s.attention.opacity, set: (s, v) => ({ ...s, attention: { ...s.attention, opacity: v } }), min: 0, max: 1, int: false },
  { name: 'mask threshold', get: (s) => s.attention.threshold, set: (s, v) => ({ ...s, attention: { ...s.attention, threshold: v } }), min: 0.01, max: 1, int: false },
  { name: 'live refresh interval', get: (s) => s.attention.refreshEvery, set: (s, v) => ({ ...s, attention: { ...s.attention, refreshEvery: v } }), min: 1, max: 100_000, int: true },
  { name: 'chart smoothing', get: (s) => s.smoothing, set: (s, v) => ({ ...s, smoothing: v }), min: 0, max: 0.999, int: false },
  { name: 'collapse experiment steps', get: (s) => s.experimentSteps, set: (s, v) => ({ ...s, experimentSteps: v }), min: 1, max: 100_000, int: true },
];

/**
 * Settings from storage, validated as the form validates them: a stored config with any problem
 * is replaced by its preset, and each view setting out of its bounds by its default, each with a
 * notice saying so. Hidden heads are a free-length list and restored separately.
 */
export function parseSettings(text: string | null): LoadedSettings {
  if (!text) return { settings: defaultSettings, notices: [] };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { settings: defaultSettings, notices: ['The stored settings could not be read; the defaults are used.'] };
  }
  const merged = mergeStored(defaultSettings, raw);
  const oneOf = <T extends string>(v: T, allowed: readonly T[], fallback: T): T => (allowed.includes(v) ? v : fallback);
  const stored = (raw as { attention?: { hiddenHeads?: unknown } }).attention?.hiddenHeads;
  const hiddenHeads = Array.isArray(stored) ? stored.filter((h): h is number => Number.isInteger(h)) : [];
  let settings: Settings = {
    ...merged,
    preset: oneOf(merged.preset, Object.keys(runPresets) as PresetName[], 'nano'),
    tab: oneOf(merged.tab, ['data', 'train', 'attention', 'weights', 'export', 'evaluate'], 'data'),
    backendChoice: oneOf(merged.backendChoice, ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'], 'auto'),
    attention: {
      ...merged.attention,
      aspect: oneOf(merged.attention.aspect, ['square', 'keep-aspect'], 'square'),
      network: oneOf(merged.attention.network, ['teacher', 'student'], 'teacher'),
      colormap: oneOf(merged.attention.colormap, ['viridis', 'inferno', 'magma'], 'viridis'),
      hiddenHeads,
    },
  };
  const notices: string[] = [];
  const issues = validateConfig(settings.config);
  if (issues.length > 0) {
    const named = issues.map((i) => `${fieldLabel(i.path)}: ${i.message}`).join('; ');
    notices.push(`The stored configuration could not be used (${named}); the ${settings.preset} preset is loaded instead.`);
    settings = { ...settings, config: runPresets[settings.preset], configModified: false };
  }
  for (const r of VIEW_RULES) {
    const v = r.get(settings);
    if (v >= r.min && v <= r.max && (!r.int || Number.isInteger(v))) continue;
    const fallback = r.get(defaultSettings);
    notices.push(`The stored ${r.name} (${v}) is outside [${r.min}, ${r.max}]; it is reset to ${fallback}.`);
    settings = r.set(settings, fallback);
  }
  return { settings, notices };
}

export function loadSettings(storage: Pick<Storage, 'getItem'> = localStorage): LoadedSettings {
  try {
    return parseSettings(storage.getItem(KEY));
  } catch {
    return { settings: defaultSettings, notices: [] };
  }
}

/**
 * What to store: `settings`, except that a config with problems is never written; the last one
 * stored (`previous`) is kept instead, so a reload cannot bring an invalid value back.
 */
export function persistable(settings: Settings, previous: Settings): Settings {
  if (settings.config === previous.config || validateConfig(settings.config).length === 0) return settings;
  return { ...settings, config: previous.config, configModified: previous.configModified };
}

export function saveSettings(settings: Settings, storage: Pick<Storage, 'setItem'> = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(settings));
  } catch {
    // Storage full or disabled (private mode): settings just do not survive the reload.
  }
}
