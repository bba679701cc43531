import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { test } from 'vitest';
import { ImageStore } from './image-store';
import { multiCrop, previewCrops } from './multi-crop';
import { Rng } from '../shared/rng';
import { defaultAugment } from '../shared/config';
test('smoke', async () => {
  for (const b of ['cpu', 'wasm']) {
    await tf.setBackend(b); await tf.ready();
    const store = new ImageStore();
    const imgs = Array.from({length: 50}, (_, i) => ({id: 'i'+i, label: 'c'+(i%10), width: 28, height: 28, pixels: Uint8Array.from({length: 28*28*3}, (_, p) => (p*7+i)%256)}));
    store.add(imgs);
    const cfg = {...defaultAugment, globalSize: 28, localSize: 12, nLocalCrops: 6};
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    for (let k = 0; k < 3; k++) {
      const r = multiCrop(store, Int32Array.from({length: 50}, (_, i) => i), cfg, new Rng(k));
      await r.globals.data(); await r.locals!.data();
      r.globals.dispose(); r.locals!.dispose();
    }
    console.log(b, 'ms/batch', (performance.now() - t0)/3, tf.memory().numTensors - before);
    const p = await previewCrops({width: 100, height: 60, pixels: new Uint8Array(100*60*3).fill(100)}, cfg, new Rng(1));
    console.log(p.kinds, p.crops.map(c => c.width), p.crops[0].pixels.slice(0, 6));
    store.dispose();
  }
});
