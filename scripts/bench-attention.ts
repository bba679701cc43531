/**
 * npm run bench:attention -- [side=448] [preset=vit-small-8] [backend=wasm]
 *
 * Times one inspector request (the CLS attention of the last block, every head) for a released
 * architecture with random weights, in Node. Reports seconds, tensors and bytes left on the device.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/engine/backend';
import { attentionMaps } from '../src/engine/attention-maps';
import { initDinoParams, type Params } from '../src/engine/params';
import { modelPresets, type ModelPresetName } from '../src/shared/config';
import type { BackendName } from '../src/shared/protocol';

const side = Number(process.argv[2] ?? 448);
const preset = (process.argv[3] ?? 'vit-small-8') as ModelPresetName;
const backend = (process.argv[4] ?? 'wasm') as BackendName;
const vit = modelPresets[preset];
if (!vit) throw new Error(`unknown preset ${preset}; known: ${Object.keys(modelPresets).join(', ')}`);
await activateBackend(backend);
const head = { outDim: 16, hiddenDim: 16, bottleneckDim: 8, nlayers: 3, normLastLayer: true };
const p: Params = {};
for (const [n, t] of initDinoParams(vit, head, 0)) if (n.startsWith('backbone.')) p[n] = tf.tensor(t.data, t.shape);
const x = tf.randomNormal([1, 3, side, side]) as tf.Tensor4D;
const t0 = performance.now();
const m = await attentionMaps(p, vit, x, -1, 0);
const seconds = (performance.now() - t0) / 1000;
console.log(
  `${preset} at ${side}x${side} px on ${tf.getBackend()}: ${m.heads} heads, grid ${m.grid.join('x')}, ${seconds.toFixed(1)} s; ` +
    `device after: ${tf.memory().numTensors} tensors, ${(tf.memory().numBytes / 2 ** 20).toFixed(1)} MiB (the weights); ` +
    `machine: ${os.cpus().length} x ${os.cpus()[0]?.model}, node ${process.version}`,
);
