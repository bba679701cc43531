/**
 * A run's starting point from loaded weights: their backbone (and its architecture), their head
 * and center when the head's shapes fit, else a fresh head drawn from the run's seed.
 */
import type { RunConfig } from '../shared/config';
import type { TensorMap } from '../shared/host-tensor';
import { headShapes } from '../shared/param-shapes';
import { initDinoParams } from './params';
import type { LoadedWeights } from './weights/layouts';

interface RunStart {
  /** `config` with the loaded backbone's architecture (and head, when it was used). */
  config: RunConfig;
  /** backbone.* and head.* weights. */
  init: TensorMap;
  /** The loaded teacher center, when the head was used and has one of the right size. */
  center?: Float32Array;
}

export function initFromWeights(config: RunConfig, w: LoadedWeights): RunStart {
  const model = w.arch;
  let head = config.head;
  const init: TensorMap = new Map();
  for (const [n, t] of w.backbone) init.set(`backbone.${n}`, t);
  let center: Float32Array | undefined;
  if (w.head && w.headArch) {
    head = { ...w.headArch, normLastLayer: config.head.normLastLayer };
    const fits = headShapes(model.embedDim, head).every(([n, s]) => w.head!.get(n)?.shape.join() === s.join());
    if (fits) {
      for (const [n, t] of w.head) init.set(`head.${n}`, t);
      if (w.center && w.center.data.length === head.outDim) center = w.center.data as Float32Array;
    } else head = config.head;
  }
  if (![...init.keys()].some((k) => k.startsWith('head.'))) {
    for (const [n, t] of initDinoParams(model, head, config.seed)) if (n.startsWith('head.')) init.set(n, t);
  }
  return { config: { ...config, model, head }, init, center };
}
