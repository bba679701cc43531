/**
 * The training worker in Chromium, driven through its protocol (no UI): trains a small model on the
 * sample photos on WebGPU (SwiftShader here) and on wasm; metrics arrive and are finite; pause,
 * resume and stop work; a reload resumes the same run from the checkpoint kept in IndexedDB.
 */
import { expect, test, type Page } from '@playwright/test';
import { runPresets, type RunConfig } from '../src/shared/config';
import type { MetricRow, Progress, WorkerEvent } from '../src/shared/protocol';

const config: RunConfig = {
  ...runPresets.nano,
  model: { ...runPresets.nano.model, embedDim: 32, depth: 2, numHeads: 2 },
  head: { outDim: 64, hiddenDim: 64, bottleneckDim: 16, nlayers: 3, normLastLayer: true },
  // PIL-exact bicubic crops (the nano preset itself uses bilinear), so WebGPU runs that path too.
  augment: { ...runPresets.nano.augment, nLocalCrops: 2, bicubic: true },
  train: { ...runPresets.nano.train, batchSize: 2, epochs: 50, warmupEpochs: 1, metricsEvery: 1, checkpointEvery: 2 },
};

async function events(page: Page): Promise<WorkerEvent[]> {
  return page.evaluate(() => (window as unknown as { harness: { events: WorkerEvent[] } }).harness.events);
}

/** Polls the events until `pred` holds; fails on any worker error after event index `from`. */
async function waitFor(page: Page, pred: (e: WorkerEvent[]) => boolean, timeout = 180_000, from = 0): Promise<WorkerEvent[]> {
  const t0 = Date.now();
  for (;;) {
    const ev = await events(page);
    const err = ev.slice(from).find((e) => e.type === 'error');
    if (err && err.type === 'error') throw new Error(`worker error: ${err.message}`);
    if (pred(ev)) return ev;
    if (Date.now() - t0 > timeout) throw new Error(`timed out; last events: ${JSON.stringify(ev.slice(-3)).slice(0, 500)}`);
    await page.waitForTimeout(200);
  }
}

const rows = (ev: WorkerEvent[]): MetricRow[] => ev.flatMap((e) => (e.type === 'metrics' ? e.rows : []));
const lastProgress = (ev: WorkerEvent[]): Progress | undefined =>
  ev.filter((e): e is Extract<WorkerEvent, { type: 'progress' }> => e.type === 'progress').pop()?.progress;

async function openHarness(page: Page, backend: string): Promise<void> {
  await page.goto('/src/worker/harness.html');
  await page.evaluate((b) => (window as any).harness.send({ type: 'init', backend: b }), backend);
  await waitFor(page, (ev) => ev.some((e) => e.type === 'ready'));
}

async function loadSamples(page: Page): Promise<void> {
  await page.evaluate(async () => {
    const names = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg'];
    const images = [];
    for (const name of names) {
      const bmp = await createImageBitmap(await (await fetch(`/samples/${name}`)).blob());
      const scale = 64 / Math.max(bmp.width, bmp.height);
      const w = Math.round(bmp.width * scale);
      const h = Math.round(bmp.height * scale);
      const ctx = new OffscreenCanvas(w, h).getContext('2d')!;
      ctx.drawImage(bmp, 0, 0, w, h);
      const rgba = ctx.getImageData(0, 0, w, h).data;
      const pixels: number[] = [];
      for (let i = 0; i < rgba.length; i += 4) pixels.push(rgba[i], rgba[i + 1], rgba[i + 2]);
      images.push({ id: name, label: null, width: w, height: h, pixels });
    }
    (window as any).harness.sendImages(images, true);
  });
  await waitFor(page, (ev) => ev.some((e) => e.type === 'dataset' && e.count === 4));
}

for (const backend of ['wasm', 'webgpu']) {
  test(`trains on ${backend}: metrics, pause, resume, stop`, async ({ page }) => {
    await openHarness(page, backend);
    const ready = (await events(page)).find((e) => e.type === 'ready');
    expect(ready && ready.type === 'ready' && ready.backend.name).toBe(backend);
    await loadSamples(page);
    await page.evaluate((c) => (window as any).harness.send({ type: 'configure', config: c }), config);
    await page.evaluate(() => (window as any).harness.send({ type: 'start', fromWeights: false }));
    let ev = await waitFor(page, (e) => rows(e).length >= 3);
    for (const r of rows(ev)) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.kl).toBeCloseTo(r.loss - r.teacherEntropy, 4);
      expect(r.lr).toBeGreaterThanOrEqual(0);
    }

    await page.evaluate(() => (window as any).harness.send({ type: 'pause' }));
    ev = await waitFor(page, (e) => lastProgress(e)?.state === 'paused');
    const pausedAt = lastProgress(ev)!.step;
    await page.waitForTimeout(1500);
    expect(lastProgress(await events(page))!.step).toBe(pausedAt);

    await page.evaluate(() => (window as any).harness.send({ type: 'resume' }));
    ev = await waitFor(page, (e) => (lastProgress(e)?.step ?? 0) >= pausedAt + 2);
    await page.evaluate(() => (window as any).harness.send({ type: 'stop' }));
    ev = await waitFor(page, (e) => lastProgress(e)?.state === 'stopped');
    const steps = rows(ev).map((r) => r.step);
    expect(steps).toEqual(steps.map((_, i) => i)); // every step reported once, in order
    console.log(`${backend}: ${steps.length} steps, last loss ${rows(ev).pop()!.loss.toFixed(4)}, ${lastProgress(ev)!.msPerStep.toFixed(0)} ms/step`);
  });
}

test('a reload resumes the same run from the browser checkpoint', async ({ page }) => {
  await openHarness(page, 'wasm');
  await loadSamples(page);
  await page.evaluate((c) => (window as any).harness.send({ type: 'configure', config: c }), config);
  await page.evaluate(() => (window as any).harness.send({ type: 'start', fromWeights: false }));
  await waitFor(page, (e) => rows(e).length >= 3);
  await page.evaluate(() => (window as any).harness.send({ type: 'pause' }));
  const before = await waitFor(page, (e) => lastProgress(e)?.state === 'paused');
  const step = lastProgress(before)!.step;
  const losses = rows(before).map((r) => r.loss);

  await page.reload();
  await openHarness(page, 'wasm');
  const after = await waitFor(page, (e) => e.some((x) => x.type === 'restored'));
  const restored = after.find((e) => e.type === 'restored');
  expect(restored && restored.type === 'restored' && restored.step).toBe(step);
  expect(rows(after).map((r) => r.loss)).toEqual(losses);
  expect(lastProgress(after)?.state).toBe('paused');

  // It continues from there (same data sent again by the app on reload).
  await loadSamples(page);
  await page.evaluate(() => (window as any).harness.send({ type: 'resume' }));
  const cont = await waitFor(page, (e) => rows(e).some((r) => r.step === step));
  expect(rows(cont).find((r) => r.step === step)).toBeTruthy();
});

test('a lost WebGPU device: the worker gets a fresh device, rolls back to the last checkpoint and trains on', async ({ page }) => {
  await openHarness(page, 'webgpu');
  await loadSamples(page);
  await page.evaluate((c) => (window as any).harness.send({ type: 'configure', config: c }), config);
  await page.evaluate(() => (window as any).harness.send({ type: 'start', fromWeights: false }));
  // checkpointEvery is 2: by step 3 a checkpoint is stored.
  await waitFor(page, (e) => rows(e).some((r) => r.step >= 3));
  const mark = (await events(page)).length;
  await page.evaluate(() => (window as any).harness.loseDevice());

  let after: WorkerEvent[] = [];
  for (const t0 = Date.now(); Date.now() - t0 < 120_000; await page.waitForTimeout(200)) {
    after = (await events(page)).slice(mark);
    if (after.some((e) => e.type === 'error')) break;
  }
  const errors = after.filter((e): e is Extract<WorkerEvent, { type: 'error' }> => e.type === 'error');
  expect(errors.map((e) => e.message)).toHaveLength(1);
  expect(errors[0].message).toMatch(/^Training stopped: the GPU device was lost \(destroyed.*\) at step \d+\. dinolab now runs on webgpu; the run was rolled back to its last checkpoint \(step (\d+)\); press Resume to continue\.$/);
  const backend = after.find((e) => e.type === 'backend');
  expect(backend && backend.type === 'backend' && backend.backend).toMatchObject({ name: 'webgpu', reason: expect.stringContaining('the GPU device was lost') });
  const restored = after.find((e) => e.type === 'restored');
  const step = restored && restored.type === 'restored' ? restored.step : -1;
  expect(step % 2).toBe(0);
  expect(step).toBeGreaterThanOrEqual(2);
  expect(lastProgress(after)).toMatchObject({ state: 'paused', step });

  // Training goes on from the checkpoint on the new device, with finite losses.
  const resumeMark = (await events(page)).length;
  await page.evaluate(() => (window as any).harness.send({ type: 'resume' }));
  const ev = await waitFor(page, (e) => e.slice(mark).some((x) => x.type === 'metrics' && x.rows.some((r) => r.step === step + 1)), 180_000, resumeMark);
  const resumed = ev.slice(mark).flatMap((e) => (e.type === 'metrics' ? e.rows : [])).filter((r) => r.step >= step);
  expect(resumed.length).toBeGreaterThan(0);
  for (const r of resumed) expect(Number.isFinite(r.loss)).toBe(true);
  await page.evaluate(() => (window as any).harness.send({ type: 'stop' }));
});

for (const backend of ['wasm', 'webgpu']) {
  test(`crops resized on ${backend} equal PIL's bicubic`, async ({ page }) => {
    await openHarness(page, backend);
    await page.evaluate(() => (window as any).harness.pilCrops());
    const ev = await waitFor(page, (e) => e.some((x) => (x as { type: string }).type === '__test:pilCrops'), 120_000);
    const reply = ev.find((x) => (x as { type: string }).type === '__test:pilCrops') as unknown as {
      backend: string;
      crops: { expected: number[]; actual: number[] }[];
    };
    expect(reply.backend).toBe(backend);
    expect(reply.crops.length).toBeGreaterThan(3);
    let worst = 0;
    let differing = 0;
    let total = 0;
    for (const c of reply.crops) {
      expect(c.actual).toHaveLength(c.expected.length);
      c.actual.forEach((v, i) => {
        const d = Math.abs(v - c.expected[i]);
        worst = Math.max(worst, d);
        if (d > 0.01) differing++;
      });
      total += c.expected.length;
    }
    console.log(`${backend}: ${differing} of ${total} crop values differ from PIL, worst by ${worst.toFixed(3)} levels`);
    // Same passes and uint8 rounding as PIL: only a float tie can land one level off.
    expect(worst).toBeLessThanOrEqual(1.0001);
    expect(differing / total).toBeLessThan(0.001);
  });
}
