/**
 * The one app store, made of typed slices. Actions are callable outside React through
 * `useStore.getState()`; components select narrowly (one field or a derived scalar).
 */
import { create } from 'zustand';
import { createAttentionSlice, type AttentionSlice } from './attention';
import { createDatasetSlice, type DatasetSlice } from './dataset';
import { createEvaluateSlice, type EvaluateSlice } from './evaluate';
import { createExperimentSlice, type ExperimentSlice } from './experiment';
import { createMetricsSlice, type MetricsSlice } from './metrics';
import { createRunSlice, type RunSlice } from './run';
import { createUiSlice, type UiSlice } from './ui';
import { createWeightsSlice, type WeightsSlice } from './weights';
import type { Settings } from './settings';

export type Store = DatasetSlice & RunSlice & MetricsSlice & AttentionSlice & WeightsSlice & UiSlice & ExperimentSlice & EvaluateSlice;

export const useStore = create<Store>()((...a) => ({
  ...createDatasetSlice(...a),
  ...createRunSlice(...a),
  ...createMetricsSlice(...a),
  ...createAttentionSlice(...a),
  ...createWeightsSlice(...a),
  ...createUiSlice(...a),
  ...createExperimentSlice(...a),
  ...createEvaluateSlice(...a),
}));

/** The part of the store saved in localStorage. */
export function settingsOf(s: Store): Settings {
  return {
    config: s.config,
    preset: s.preset,
    configModified: s.configModified,
    backendChoice: s.backendChoice,
    tab: s.tab,
    smoothing: s.smoothing,
    fromWeights: s.fromWeights,
    experimentSteps: s.experimentSteps,
    attention: s.attentionSettings,
  };
}

export function applySettings(settings: Settings): void {
  useStore.setState({
    config: settings.config,
    preset: settings.preset,
    configModified: settings.configModified,
    backendChoice: settings.backendChoice,
    tab: settings.tab,
    smoothing: settings.smoothing,
    fromWeights: settings.fromWeights,
    experimentSteps: settings.experimentSteps,
    attentionSettings: settings.attention,
  });
}
