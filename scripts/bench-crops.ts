/**
 * What PIL-exact bicubic crops cost against bilinear sampling.
 *
 *   npm run bench:crops -- [--backend wasm|cpu] [--batch 16] [--preset nano|tiny|finetune]
 *
 * Multi-crop of one batch and a whole training step of the preset, on a dataset of 28 x 28 images
 * plus one 256 x 192 photo (the demo's mix: every image sits on the photo's 258 x 194 letterbox
 * canvas, which the bicubic matMuls read whole). Prints the setup and mean times over 5 repeats.
 */
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../src/engine/backend';
import { DinoRun } from '../src/engine/dino-run';
import { ImageStore } from '../src/engine/image-store';
import { multiCrop } from '../src/engine/multi-crop';
import { runPresets } from '../src/shared/config';
import { Rng } from '../src/shared/rng';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm') as 'wasm' | 'cpu';
  const batch = Number(arg('batch', '16'));
  const presetName = arg('preset', 'nano') as keyof typeof runPresets;
  const preset = runPresets[presetName];
  if (!preset) throw new Error(`unknown preset ${presetName}`);
  await activateBackend(backend);
  const rng = new Rng(1);
  const images = Array.from({ length: Math.max(batch, 32) }, (_, i) => {
    const [w, h] = i === 0 ? [256, 192] : [28, 28];
    return { id: `i${i}`, label: null, width: w, height: h, pixels: Uint8Array.from({ length: w * h * 3 }, () => rng.int(256)) };
  });
  const a = preset.augment;
  console.log(
    `bench-crops: ${backend} in Node ${process.version}, ${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; ` +
      `preset ${presetName}, batch ${batch}, crops 2 x ${a.globalSize} px + ${a.nLocalCrops} x ${a.localSize} px; ${images.length - 1} images of 28 x 28 and one of 256 x 192`,
  );
  for (const bicubic of [false, true]) {
    const config = { ...preset, augment: { ...a, bicubic }, train: { ...preset.train, batchSize: batch } };
    const store = new ImageStore();
    store.add(images);
    const idx = Int32Array.from({ length: batch }, (_, i) => i);
    const cropOnce = async () => {
      const r = multiCrop(store, idx, config.augment, rng);
      await r.globals.data();
      if (r.locals) await r.locals.data();
      tf.dispose([r.globals, ...(r.locals ? [r.locals] : [])]);
    };
    await cropOnce();
    let t = performance.now();
    for (let i = 0; i < 5; i++) await cropOnce();
    const cropMs = (performance.now() - t) / 5;
    const run = new DinoRun(config, store.count);
    run.runStep(store);
    await run.flushMetrics();
    t = performance.now();
    for (let i = 0; i < 5; i++) run.runStep(store);
    await run.flushMetrics();
    const stepMs = (performance.now() - t) / 5;
    console.log(`${bicubic ? 'bicubic (PIL)' : 'bilinear     '}: multi-crop ${cropMs.toFixed(0)} ms, training step ${stepMs.toFixed(0)} ms`);
    run.dispose();
    store.dispose();
  }
}

void main();
