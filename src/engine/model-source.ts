/**
 * The weights a view runs on, as a FeatureModel (`backbone.*` parameters and the ViT config): the
 * run's teacher or student, loaded weights (uploaded once per network and kept until other weights
 * come), or a seeded random backbone (the "no training" baseline of the Evaluate tab).
 */
import * as tf from '@tensorflow/tfjs';
import type { HeadConfig, ViTConfig } from '../shared/config';
import type { TensorMap } from '../shared/host-tensor';
import type { Network } from '../shared/protocol';
import type { DinoRun } from './dino-run';
import type { FeatureModel } from './eval/features';
import { backboneShapes } from '../shared/param-shapes';
import { disposeParams, initDinoParams, type Params } from './params';
import type { LoadedWeights } from './weights/layouts';

/** A backbone (official names, no prefix) on the device as `backbone.*` tensors. Caller owns them. */
function uploadBackbone(backbone: TensorMap): Params {
  const params: Params = {};
  for (const [n, t] of backbone) params[`backbone.${n}`] = tf.tensor(t.data, t.shape);
  return params;
}

/** Device copies of loaded weights, per network, made on first use; `dispose` frees them. */
export class LoadedModel {
  private uploaded = new Map<Network, Params>();

  constructor(readonly weights: LoadedWeights) {}

  model(network: Network): FeatureModel {
    let params = this.uploaded.get(network);
    if (!params) {
      params = uploadBackbone(this.weights.networks?.[network]?.backbone ?? this.weights.backbone);
      this.uploaded.set(network, params);
    }
    return { params, config: this.weights.arch };
  }

  dispose(): void {
    for (const p of this.uploaded.values()) disposeParams(p);
    this.uploaded.clear();
  }
}

/** The run's own network; its variables stay the run's. */
export function runModel(run: DinoRun, network: Network): FeatureModel {
  return { params: network === 'teacher' ? run.model.teacher : run.model.student, config: run.model.vit };
}

/** A backbone of `config`'s shape with the official random init for `seed`. Caller disposes its params. */
export function randomModel(config: ViTConfig, seed: number): FeatureModel {
  // initDinoParams draws the backbone before the head from one seeded stream, so the (unused,
  // smallest) head changes nothing here.
  const head: HeadConfig = { outDim: 8, hiddenDim: 8, bottleneckDim: 8, nlayers: 1, normLastLayer: true };
  const host = initDinoParams(config, head, seed);
  const backbone: TensorMap = new Map(backboneShapes(config).map(([name]) => [name, host.get(`backbone.${name}`)!]));
  return { params: uploadBackbone(backbone), config };
}
