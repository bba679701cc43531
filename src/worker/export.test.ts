/**
 * A head with nlayers = 1, in the official layout, through every path a person takes it: load an
 * official checkpoint, train on it, export each format, load the export again.
 *
 * The official `DINOHead` with nlayers == 1 is `self.mlp = nn.Linear(in_dim, bottleneck_dim)`: a
 * single Linear, not a Sequential, so its keys are `mlp.weight` / `mlp.bias` (no `.0.`). The names
 * are written out here, not taken from dinolab's own shape table, which is what is under test.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HeadConfig } from '../shared/config';
import type { HostTensor, TensorMap } from '../shared/host-tensor';
import { microRunConfig } from '../shared/micro-config';
import type { DatasetImage } from '../shared/protocol';
import { Rng } from '../shared/rng';
import { DinoRun } from '../engine/dino-run';
import { ImageStore } from '../engine/image-store';
import { initDinoParams, toHost } from '../engine/params';
import { toOfficialCheckpoint } from '../engine/weights/export';
import { loadWeights } from '../engine/weights/layouts';
import { exportRun, type ExportFormat } from './export';

const config = microRunConfig(); // width 16, 2 heads
const OFFICIAL_HEAD_KEYS = ['mlp.weight', 'mlp.bias', 'last_layer.weight_g', 'last_layer.weight_v'];

function random(shape: number[], rng: Rng): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, () => rng.uniform(-0.5, 0.5)) };
}

/** DINOHead(in_dim=16, out_dim=32, nlayers=1, bottleneck_dim=8).state_dict(), by hand. */
function officialHead(rng: Rng): TensorMap {
  return new Map([
    ['mlp.weight', random([8, 16], rng)], // [bottleneck, D]
    ['mlp.bias', random([8], rng)],
    ['last_layer.weight_g', { dtype: 'float32', shape: [32, 1], data: new Float32Array(32).fill(1) }],
    ['last_layer.weight_v', random([32, 8], rng)], // [K, bottleneck]
  ]);
}

function backbone(): TensorMap {
  const out: TensorMap = new Map();
  for (const [n, t] of initDinoParams(config.model, config.head, 3)) if (n.startsWith('backbone.')) out.set(n.slice('backbone.'.length), t);
  return out;
}

function images(n: number): DatasetImage[] {
  const rng = new Rng(7);
  return Array.from({ length: n }, (_, i) => ({
    id: `img${i}`, label: `c${i % 2}`, width: 20, height: 18, pixels: Uint8Array.from({ length: 20 * 18 * 3 }, () => rng.int(256)),
  }));
}

const prefixed = (prefix: string, m: TensorMap): [string, HostTensor][] => [...m].map(([k, t]) => [prefix + k, t]);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('a one-Linear head (nlayers = 1) in the official layout', () => {
  it('loads, trains, exports in every format and loads again under the official names', async () => {
    const head = officialHead(new Rng(11));
    const net = { backbone: backbone(), head };
    const file = toOfficialCheckpoint({ student: net, teacher: net, epoch: 0 });
    const w = loadWeights('checkpoint.pth', file, { numHeads: config.model.numHeads });
    const headArch: HeadConfig = { outDim: 32, hiddenDim: 8, bottleneckDim: 8, nlayers: 1, normLastLayer: true };
    expect(w.headArch).toEqual(headArch);
    expect([...w.head!.keys()]).toEqual(OFFICIAL_HEAD_KEYS);

    // The engine builds the run from the loaded names as they are, as the Weights tab does.
    const store = new ImageStore();
    store.add(images(8));
    const init = new Map([...prefixed('backbone.', w.backbone), ...prefixed('head.', w.head!)]);
    const run = new DinoRun({ ...config, model: w.arch, head: headArch }, store.count, init);
    expect(Object.keys(run.model.student).filter((n) => n.startsWith('head.'))).toEqual(OFFICIAL_HEAD_KEYS.map((k) => `head.${k}`));

    // Untrained, the export gives back the file's head value for value.
    const before = loadWeights('x.pth', (await exportRun(run, 'official-checkpoint')).bytes);
    for (const k of OFFICIAL_HEAD_KEYS) expect(before.head!.get(k)!.data).toEqual(head.get(k)!.data);

    for (let i = 0; i < 2; i++) run.runStep(store);
    const rows = await run.flushMetrics();
    expect(rows.every((r) => Number.isFinite(r.loss))).toBe(true);
    const trained = await toHost(run.model.teacher);
    expect(trained.get('head.mlp.weight')!.data).not.toEqual(head.get('mlp.weight')!.data);

    const headed: ExportFormat[] = ['official-checkpoint', 'teacher-safetensors'];
    for (const format of headed) {
      const back = loadWeights(`x.${format}`, (await exportRun(run, format)).bytes, { numHeads: config.model.numHeads });
      expect(back.headArch).toEqual(headArch);
      expect([...back.head!.keys()]).toEqual(OFFICIAL_HEAD_KEYS);
      for (const k of OFFICIAL_HEAD_KEYS) expect(back.head!.get(k)!.data).toEqual(trained.get(`head.${k}`)!.data);
    }
    const bare = loadWeights('backbone.pth', (await exportRun(run, 'teacher-backbone')).bytes, { numHeads: config.model.numHeads });
    expect(bare.head).toBeNull();
    expect(bare.backbone.get('norm.weight')!.data).toEqual(trained.get('backbone.norm.weight')!.data);
    run.dispose();
    store.dispose();
  });
});
