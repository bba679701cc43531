/** A DINO run small enough to train in milliseconds (2 blocks of width 16 at 16 px): for tests and
 *  tools that need a real run, not for learning anything. */
import { runPresets, type RunConfig, type TrainConfig } from './config';

export function microRunConfig(train: Partial<TrainConfig> = {}): RunConfig {
  return {
    ...runPresets.nano,
    model: { ...runPresets.nano.model, embedDim: 16, depth: 2, numHeads: 2, imgSize: 16 },
    head: { outDim: 32, hiddenDim: 16, bottleneckDim: 8, nlayers: 3, normLastLayer: true },
    augment: { ...runPresets.nano.augment, globalSize: 16, localSize: 8, nLocalCrops: 2 },
    train: { ...runPresets.nano.train, batchSize: 4, epochs: 2, ...train },
  };
}
