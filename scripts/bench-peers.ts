/**
 * The peer rows of `npm run bench`: the same ViT backbones on onnxruntime-web (wasm, threads) in the
 * same Chromium, computing the official `get_last_selfattention` (the whole last-block attention).
 *
 * Neither the ONNX files nor onnxruntime-web are part of the project: the models are exported with
 * PyTorch (scripts/export-onnx.py; Debian: apt-get install python3-torch) and onnxruntime-web
 * (pinned) is installed into .cache/bench-peers on first use. When either is impossible the peer
 * rows are skipped with the reason.
 */
import { execFileSync, execSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from '@playwright/test';
import type { ViTConfig } from '../src/shared/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cache = path.join(root, '.cache/bench-peers');
const ORT_VERSION = '1.30.0';

export interface PeerRow {
  name: 'onnxruntime-web';
  version: string;
  model: string;
  patch: number;
  size: number;
  threads: number;
  msPerImage: number;
  ms: number[];
  firstMs: number;
}

function ortDist(): string {
  const dist = path.join(cache, 'node_modules/onnxruntime-web/dist');
  if (!fs.existsSync(path.join(dist, 'ort.wasm.min.mjs'))) {
    fs.mkdirSync(cache, { recursive: true });
    console.log(`bench: installing onnxruntime-web@${ORT_VERSION} into ${path.relative(root, cache)} (peer rows only)`);
    execSync(`npm install --prefix "${cache}" --no-save --no-audit --no-fund onnxruntime-web@${ORT_VERSION}`, { stdio: 'inherit' });
  }
  return dist;
}

/** A python3 that has torch: the one on PATH, else Debian's. */
function torchPython(): string {
  for (const py of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
      return py;
    } catch {
      // try the next
    }
  }
  throw new Error('no python3 with torch (Debian: apt-get install python3-torch)');
}

function exportModel(key: string, vit: ViTConfig, size: number): string {
  const file = path.join(cache, `${key}.onnx`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(cache, { recursive: true });
    const a = ['--patch', vit.patchSize, '--dim', vit.embedDim, '--depth', vit.depth, '--heads', vit.numHeads, '--size', size];
    execFileSync(torchPython(), [path.join(root, 'scripts/export-onnx.py'), file, ...a.map(String)], { stdio: 'inherit' });
  }
  return file;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>onnxruntime-web peer</title>
<script type="module">
import * as ort from '/__peer/ort.wasm.min.mjs';
window.runPeer = async (model, size, threads, reps) => {
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.wasmPaths = '/__peer/';
  const session = await ort.InferenceSession.create('/__peer/' + model, { executionProviders: ['wasm'] });
  const x = new ort.Tensor('float32', Float32Array.from({ length: 3 * size * size }, (_, i) => Math.sin(i)), [1, 3, size, size]);
  let t0 = performance.now();
  await session.run({ image: x });
  const firstMs = performance.now() - t0;
  const ms = [];
  for (let i = 0; i < reps; i++) {
    t0 = performance.now();
    await session.run({ image: x });
    ms.push(performance.now() - t0);
  }
  await session.release();
  return { firstMs, ms };
};
window.peerReady = true;
</script>`;

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.html': 'text/html' };

export async function runPeers(
  browser: Browser,
  rows: { key: string; model: string; vit: ViTConfig; size: number }[],
  threadsOverride?: number,
  reps = 3,
): Promise<PeerRow[]> {
  let dist: string;
  const files = new Map<string, string>();
  try {
    dist = ortDist();
    for (const r of rows) files.set(`${r.key}.onnx`, exportModel(r.key, r.vit, r.size));
  } catch (e) {
    console.log(`bench: onnxruntime-web peer rows skipped: ${(e as Error).message}`);
    return [];
  }
  // A server of its own: ONNX files of 80+ MB are too large to pass through Playwright's routing.
  const server = http.createServer((req, res) => {
    const name = new URL(req.url ?? '/', 'http://x').pathname.replace('/__peer/', '');
    const file = name === 'index.html' ? null : (files.get(name) ?? path.join(dist, path.basename(name)));
    if (file && !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(name)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
    });
    if (file) fs.createReadStream(file).pipe(res);
    else res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const page = await browser.newPage();
  const out: PeerRow[] = [];
  try {
    await page.goto(`http://127.0.0.1:${port}/__peer/index.html`);
    await page.waitForFunction(() => (window as unknown as { peerReady?: boolean }).peerReady === true);
    const threads = threadsOverride ?? (await page.evaluate(() => navigator.hardwareConcurrency));
    for (const r of rows) {
      const res = await page.evaluate(
        ([m, s, t, n]) => (window as unknown as { runPeer: (...a: unknown[]) => Promise<{ firstMs: number; ms: number[] }> }).runPeer(m, s, t, n),
        [`${r.key}.onnx`, r.size, threads, reps] as const,
      );
      const sorted = [...res.ms].sort((a, b) => a - b);
      const row: PeerRow = { name: 'onnxruntime-web', version: ORT_VERSION, model: r.model, patch: r.vit.patchSize, size: r.size, threads, msPerImage: sorted[Math.floor(sorted.length / 2)], ms: res.ms, firstMs: res.firstMs };
      out.push(row);
      console.log(`onnxruntime-web ${ORT_VERSION}: ${r.model} ${r.size} px: ${row.msPerImage.toFixed(0)} ms (${threads} threads)`);
    }
  } finally {
    await page.close();
    server.close();
  }
  return out;
}
