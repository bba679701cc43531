/** The golden checks' tolerances (|actual - expected| <= atol + rtol * |expected|, compare.ts). */
import type { Tolerance } from './compare';

/**
 * Tolerance of each kind of output, one row per kind: `reference` is the README's float32 rule
 * (cpu, wasm), `gpu` its suggested start for WebGL/WebGPU, whose reductions run in another order.
 */
const TOLERANCES = {
  forward: { reference: { atol: 1e-4, rtol: 1e-4 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  attn: { reference: { atol: 1e-5, rtol: 1e-4 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  loss: { reference: { atol: 2e-5, rtol: 1e-5 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  outputs: { reference: { atol: 2e-5, rtol: 1e-4 }, gpu: { atol: 1e-3, rtol: 1e-3 } },
  center: { reference: { atol: 1e-6, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  grad: { reference: { atol: 1e-5, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  gradNorms: { reference: { atol: 1e-5, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  final: { reference: { atol: 2e-5, rtol: 1e-4 }, gpu: { atol: 1e-4, rtol: 1e-3 } },
  knnProbs: { reference: { atol: 0, rtol: 1e-4 }, gpu: { atol: 0, rtol: 1e-3 } },
} satisfies Record<string, Record<'reference' | 'gpu', Tolerance>>;
export type TolKey = keyof typeof TOLERANCES;
export type Tolerances = Record<TolKey, Tolerance>;

/** The column of TOLERANCES for one run. */
export function tolerancesFor(which: 'reference' | 'gpu'): Tolerances {
  return Object.fromEntries(Object.entries(TOLERANCES).map(([kind, t]) => [kind, t[which]])) as Tolerances;
}
