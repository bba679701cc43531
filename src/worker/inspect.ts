/**
 * The inspector's work as the session schedules it. The model code is the engine's (inspector.ts,
 * model-source.ts, knn.ts); these names are what the session imports.
 */
import type { AugmentConfig } from '../shared/config';
import type { FeatureModel } from '../engine/eval/features';
import type { ImageStore } from '../engine/image-store';
import { storeKnn } from '../engine/knn';

export { computeAttention, computePatchViews } from '../engine/inspector';
export { LoadedModel, runModel } from '../engine/model-source';
export type { FeatureModel as InspectModel } from '../engine/eval/features';

/** The Train tab's k-NN button (engine storeKnn) on `store`, eval crops of `size` px. */
export function knnEvaluate(m: FeatureModel, store: ImageStore, augment: AugmentConfig, size: number, k: number, temperature: number) {
  return storeKnn(m, store, { size, mean: augment.mean, std: augment.std, k, temperature });
}
