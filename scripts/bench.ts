/**
 * npm run bench -- [--backends wasm,webgpu] [--inspect s16-224,s8-224,s8-448] [--train small,default]
 *                  [--features s8-224] [--steps 5] [--reps 3] [--no-build] [--no-peers] [--threads N]
 *                  [--micro-batches 16,8] (each training row again with the student in micro-batches)
 *                  [--simd plain,relaxed] (wasm: every row with each build of the kernels, in this order;
 *                  the app runs plain)
 *                  [--feature-batches 1,4,16] (images per forward pass of the features row; default the app's)
 *
 * Builds the app, serves it cross-origin isolated (vite preview), and drives Debian Chromium
 * through the app's own training worker (the test harness page, src/worker/harness.html): the
 * inspector's request on ViT-S/16 and ViT-S/8, CLS features in the app's batches (what the
 * k-NN and t-SNE of the write-up's evaluation read), DINO training steps, a 1024^3 matMul as the
 * backend's yardstick, and tensors/bytes over the training steps. With --peers (default), the same
 * inspector models run on onnxruntime-web in the same browser (scripts/bench-peers.ts). Prints a
 * table and writes bench-results/latest.json (git-ignored). A command, not a test.
 */
import { execSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from '@playwright/test';
import { FEATURE_BATCH } from '../src/engine/eval/features';
import { modelPresets, runPresets, type RunConfig, type ViTConfig } from '../src/shared/config';
import { runPeers, type PeerRow } from './bench-peers';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** Inspector rows: the performance issue's three (random official-layout weights). */
const INSPECT: Record<string, { model: string; vit: ViTConfig; size: number }> = {
  's16-224': { model: 'vit-small-16', vit: modelPresets['vit-small-16'], size: 224 },
  's8-224': { model: 'vit-small-8', vit: modelPresets['vit-small-8'], size: 224 },
  's8-448': { model: 'vit-small-8', vit: modelPresets['vit-small-8'], size: 448 },
};

/**
 * The training configuration measured against PyTorch in the performance issue: patch 8, width
 * 128, depth 6, 4 heads, batch 32, 2 global 64 px + 6 local 32 px crops; head small
 * (1024/512/128) or DINO's default (4096/2048/256).
 */
function benchTrainConfig(head: 'small' | 'default'): RunConfig {
  const t = runPresets.tiny;
  return {
    ...t,
    model: { ...t.model, patchSize: 8, embedDim: 128, depth: 6, numHeads: 4, imgSize: 64 },
    head:
      head === 'small'
        ? { outDim: 1024, hiddenDim: 512, bottleneckDim: 128, nlayers: 3, normLastLayer: true }
        : { outDim: 4096, hiddenDim: 2048, bottleneckDim: 256, nlayers: 3, normLastLayer: true },
    augment: { ...t.augment, globalSize: 64, localSize: 32, nLocalCrops: 6, bicubic: false },
    train: { ...t.train, batchSize: 32, epochs: 100 },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, ms: number): Promise<void> {
  const t0 = Date.now();
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() - t0 > ms) throw new Error(`${url} did not answer within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

type Harness = { events: { type: string; message?: string }[]; send(c: unknown): void; bench(j: unknown): void };

async function harnessEvent(page: Page, type: string, from: number, timeoutMs: number): Promise<unknown> {
  const t0 = Date.now();
  for (;;) {
    const found = await page.evaluate(
      ([t, f]) => {
        const ev = (window as unknown as { harness: Harness }).harness.events.slice(f as number);
        return ev.find((e) => e.type === t || e.type === 'error') ?? null;
      },
      [type, from] as const,
    );
    if (found) {
      if ((found as { type: string }).type === 'error') throw new Error(`worker: ${(found as { message: string }).message}`);
      return found;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`no ${type} event within ${timeoutMs / 1000} s`);
    await page.waitForTimeout(100);
  }
}

async function runJob(page: Page, job: unknown): Promise<Record<string, unknown>> {
  const from = await page.evaluate(() => (window as unknown as { harness: Harness }).harness.events.length);
  await page.evaluate((j) => (window as unknown as { harness: Harness }).harness.bench(j), job);
  const ev = (await harnessEvent(page, '__bench', from, 600_000)) as { result: Record<string, unknown> };
  return ev.result;
}

async function longestTask(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __longest?: number }).__longest ?? 0);
}

async function main(): Promise<void> {
  const backends = arg('backends', 'wasm').split(',');
  const inspectRows = arg('inspect', 's16-224,s8-224,s8-448').split(',').filter((k) => k && k !== 'none');
  const featureRows = arg('features', 's8-224').split(',').filter((k) => k && k !== 'none');
  const trainRows = arg('train', 'small,default').split(',').filter((k) => k && k !== 'none') as ('small' | 'default')[];
  const steps = Number(arg('steps', '5'));
  const microBatches = arg('micro-batches', '').split(',').filter(Boolean).map(Number);
  const simdBuilds = arg('simd', 'plain').split(',').filter(Boolean);
  const featureBatches = arg('feature-batches', String(FEATURE_BATCH)).split(',').filter(Boolean).map(Number);
  const reps = Number(arg('reps', '3'));
  const load0 = os.loadavg();
  if (!flag('no-build')) execSync('npx vite build', { cwd: root, stdio: 'inherit' });
  // A port nobody else holds: another server answering on a fixed one would be timed instead.
  const PORT = await freePort();
  const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
    cwd: root,
    stdio: 'ignore',
    detached: true,
  });
  const base = `http://127.0.0.1:${PORT}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless=new', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--enable-unsafe-webgpu'],
  });
  const result: Record<string, unknown> = {
    machine: `${os.cpus().length} x ${os.cpus()[0]?.model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.platform()} ${os.release()}`,
    browser: `Chromium ${browser.version()}`,
    date: new Date().toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  };
  const inspect: Record<string, unknown>[] = [];
  const train: Record<string, unknown>[] = [];
  const features: Record<string, unknown>[] = [];
  const memory: Record<string, unknown>[] = [];
  const yardstick: Record<string, unknown>[] = [];
  let peers: PeerRow[] = [];
  let longest = 0;
  try {
    await waitForServer(base, 60_000);
    const page = await browser.newPage({ baseURL: base });
    page.on('console', (m) => {
      if (m.type() === 'error' || process.env.BENCH_DEBUG) console.error(`[page] ${m.text()}`);
    });
    await page.addInitScript(() => {
      const w = window as unknown as { __longest: number };
      w.__longest = 0;
      new PerformanceObserver((l) => {
        for (const e of l.getEntries()) w.__longest = Math.max(w.__longest, e.duration);
      }).observe({ type: 'longtask', buffered: true });
    });
    for (const [backend, simd] of backends.flatMap((b) => (b === 'wasm' ? simdBuilds.map((v) => [b, v]) : [[b, null]]))) {
      const label = simd ? `${backend} (${simd} SIMD)` : backend;
      /** A new page and worker on this backend: a fresh wasm heap. */
      const freshWorker = async () => {
        await page.goto('/src/worker/harness.html');
        await page.evaluate((b) => (window as unknown as { harness: Harness }).harness.send({ type: 'init', backend: b }), backend);
        await harnessEvent(page, 'ready', 0, 120_000);
        if (simd) {
          const got = await runJob(page, { kind: 'simd', relaxed: simd === 'relaxed' });
          if (simd === 'relaxed' && !got.relaxedSimd) console.log('wasm: this browser does not validate relaxed SIMD; the plain build runs');
        }
      };
      await freshWorker();
      const mm = await runJob(page, { kind: 'matmul', size: 1024 });
      yardstick.push(mm);
      console.log(`${label}: 1024^3 matMul ${(mm.ms as number).toFixed(1)} ms = ${(mm.gflops as number).toFixed(1)} GFLOP/s (${mm.threads ?? '-'} threads)`);
      for (const key of inspectRows) {
        const row = INSPECT[key];
        if (!row) throw new Error(`unknown inspect row ${key}; known: ${Object.keys(INSPECT).join(', ')}`);
        const r = await runJob(page, { kind: 'inspect', vit: row.vit, size: row.size, reps });
        const out = { backend, model: row.model, patch: row.vit.patchSize, size: row.size, ...r, utilisation: (r.gflops as number) / (mm.gflops as number) };
        inspect.push(out);
        console.log(`${label}: inspect ${row.model} ${row.size} px: ${(r.msPerImage as number).toFixed(0)} ms (${(r.gflops as number).toFixed(1)} GFLOP/s), peak ${((r.peakBytes as number) / 2 ** 20).toFixed(0)} MiB`);
      }
      for (const key of featureRows) {
        const row = INSPECT[key];
        if (!row) throw new Error(`unknown features row ${key}; known: ${Object.keys(INSPECT).join(', ')}`);
        for (const batch of featureBatches) {
          const r = await runJob(page, { kind: 'features', vit: row.vit, size: row.size, batch });
          features.push({ backend, model: row.model, patch: row.vit.patchSize, size: row.size, ...r, utilisation: (r.gflops as number) / (mm.gflops as number) });
          const per = r.msPerImage as number;
          console.log(`${label}: CLS features ${row.model} ${row.size} px, batches of ${batch}: ${per.toFixed(0)} ms per image (${(r.gflops as number).toFixed(1)} GFLOP/s; 1000 images in ${((per * 1000) / 60000).toFixed(1)} min)`);
        }
      }
      for (const head of trainRows) {
        for (const microBatch of [undefined, ...microBatches]) {
          // Each training row in a fresh worker: the wasm heap never shrinks, so its size is then
          // this row's own high-water mark.
          await freshWorker();
          const r = await runJob(page, { kind: 'train', config: benchTrainConfig(head), steps, microBatch });
          const { memory: mem, ...rest } = r as { memory: Record<string, unknown>[] };
          train.push({ backend, head, ...rest, utilisation: (r.gflops as number) / (mm.gflops as number) });
          memory.push(...mem.map((m) => ({ backend, head, microBatch: r.microBatch, ...m })));
          console.log(
            `${backend}: train (${head} head, micro-batch ${r.microBatch}) ${(r.msPerStep as number).toFixed(0)} ms/step, ${(r.imgPerSec as number).toFixed(1)} img/s, ` +
              `${(r.gflops as number).toFixed(1)} GFLOP/s, ${r.dispatchesPerStep} kernels/step, peak ${((r.peakBytes as number) / 2 ** 20).toFixed(0)} MiB` +
              (r.heapBytes ? `, wasm heap ${((r.heapBytes as number) / 2 ** 20).toFixed(0)} MiB` : ''),
          );
        }
      }
    }
    longest = await longestTask(page);
    await page.close();
    if (!flag('no-peers')) peers = await runPeers(browser, inspectRows.map((k) => ({ key: k, ...INSPECT[k] })), Number(arg('threads', '0')) || undefined, reps);
  } finally {
    await browser.close();
    try {
      process.kill(-server.pid!);
    } catch {
      // already gone
    }
  }
  Object.assign(result, { load: { start: load0, end: os.loadavg() }, yardstick, train, inspect, features, peers, memory, longestMainThreadTaskMs: longest });
  fs.mkdirSync(path.join(root, 'bench-results'), { recursive: true });
  fs.writeFileSync(path.join(root, 'bench-results/latest.json'), JSON.stringify(result, null, 2));
  console.log('\n| work | backend | threads | dinolab | onnxruntime-web | ratio |');
  console.log('|---|---|---|---|---|---|');
  for (const r of inspect) {
    const peer = peers.find((p) => p.model === r.model && p.size === r.size);
    const ms = r.msPerImage as number;
    console.log(`| inspect ${r.model} ${r.size} px | ${r.backend}${r.relaxedSimd === false ? ' (plain SIMD)' : ''} | ${r.threads ?? '-'} | ${ms.toFixed(0)} ms | ${peer ? `${peer.msPerImage.toFixed(0)} ms` : peer === undefined ? 'not run' : ''} | ${peer ? `${(peer.msPerImage / ms).toFixed(2)}x` : ''} |`);
  }
  for (const r of train) console.log(`| train step, ${r.head} head, micro-batch ${r.microBatch} | ${r.backend}${r.relaxedSimd === false ? ' (plain SIMD)' : ''} | ${r.threads ?? '-'} | ${(r.msPerStep as number).toFixed(0)} ms (${(r.imgPerSec as number).toFixed(1)} img/s) | | |`);
  console.log(`\nload ${load0.map((x) => x.toFixed(1)).join(' ')} -> ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; longest main-thread task ${longest.toFixed(0)} ms; wrote bench-results/latest.json`);
}

if (process.argv[1]?.endsWith("bench.ts")) main().catch((e) => {
  console.error(e);
  process.exit(1);
});
