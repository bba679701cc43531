/**
 * dinolab's WGSL attention kernels (src/engine/webgpu) in Chromium's WebGPU (SwiftShader here:
 * correct, never timed) against tfjs's composite ops on the same backend: outputs, probabilities
 * and gradients on random inputs, a 3137-token row without its 39 MB matrix, a small ViT with and
 * without the kernels, and the dispatches and bytes they save (docs/performance.md, "WebGPU").
 * The page is the conformance page with `?check=webgpu-attention&part=...`
 * (src/conformance/webgpu-attention.ts).
 */
import { expect, test, type Page } from '@playwright/test';

interface Compared {
  name: string;
  relErr: number;
  size: number;
}

interface Counted {
  dispatches: number;
  bytesWritten: number;
  largestOutput: number;
  kernels: number;
  peakBytes: number;
}

async function runPart<T>(page: Page, part: string): Promise<T> {
  await page.goto(`/src/conformance/browser.html?check=webgpu-attention&part=${part}`);
  const handle = await page.waitForFunction(() => (window as unknown as { __attentionCheck?: unknown }).__attentionCheck, undefined, { timeout: 280_000 });
  const res = (await handle.jsonValue()) as { result?: T; error?: string };
  expect(res.error).toBeUndefined();
  return res.result as T;
}

/**
 * Relative error bound (largest difference over the reference's largest magnitude). float32 sums
 * taken in another order differ by at most about 1e-6 here; a wrong index, a missed key or an
 * unscaled row gives errors of order 1.
 */
const TOL = 1e-5;

const failing = (checks: Compared[]) => checks.filter((c) => !(c.relErr < TOL)).map((c) => `${c.name}: ${c.relErr.toExponential(2)}`);

test('WebGPU attention kernels give the composite path\'s outputs, probabilities and d(qkv)', async ({ page }) => {
  const { cases } = await runPart<{ cases: { shape: string; checks: Compared[] }[] }>(page, 'kernels');
  expect(cases.length).toBeGreaterThanOrEqual(5);
  for (const c of cases) {
    console.log(`${c.shape}: ${c.checks.map((k) => `${k.name} ${k.relErr.toExponential(1)}`).join(', ')}`);
    expect(c.checks.map((k) => k.name)).toEqual(['output', 'row output', 'row probabilities', 'd(qkv)']);
    expect(failing(c.checks), c.shape).toEqual([]);
  }
});

test('the CLS row of 3137 tokens is computed without its 39 MB matrix', async ({ page }) => {
  const r = await runPart<{ N: number; matrixBytes: number; checks: Compared[]; counted: Counted }>(page, 'long-row');
  console.log(`N = ${r.N}: ${JSON.stringify(r.checks)}; ${JSON.stringify(r.counted)}`);
  expect(r.N).toBe(3137);
  expect(failing(r.checks)).toEqual([]);
  // Two dispatches: the output row (256 B) and the probability row (12.5 KB).
  expect(r.counted.dispatches).toBe(2);
  expect(r.counted.largestOutput).toBe(r.N * 4);
  // Live tensors: the qkv input (2.4 MB) and the two rows; the matrix alone would be 39 MB.
  expect(r.counted.peakBytes).toBeLessThan(r.matrixBytes / 10);
});

test('a ViT with the WebGPU kernels gives the composite path\'s features, attention and gradients, leaking nothing', async ({ page }) => {
  const r = await runPart<{ checks: Compared[]; tensorsLeaked: number }>(page, 'model');
  console.log(r.checks.map((k) => `${k.name} ${k.relErr.toExponential(1)}`).join(', '));
  expect(r.checks.length).toBeGreaterThan(20);
  expect(failing(r.checks)).toEqual([]);
  expect(r.tensorsLeaked).toBe(0);
});

test('dispatches and bytes written: attention call, ViT-S/16 forward at 224 px, nano training step', async ({ page }) => {
  test.setTimeout(600_000);
  type Pair = { fused: Counted; composite: Counted };
  const r = await runPart<{ attentionCall: { inference: Pair; training: Pair }; vitS16Forward: Pair; nanoStep: Pair }>(page, 'counts');
  const mb = (b: number) => (b / 2 ** 20).toFixed(2);
  const rows: [string, Pair][] = [
    ['attention call, ViT-S/16 224 px, inference', r.attentionCall.inference],
    ['attention call, ViT-S/16 224 px, forward + backward', r.attentionCall.training],
    ['ViT-S/16 forward at 224 px, 1 image', r.vitS16Forward],
    ['nano training step (batch 16)', r.nanoStep],
  ];
  for (const [name, p] of rows) {
    console.log(
      `${name} | composite: ${p.composite.dispatches} dispatches, ${mb(p.composite.bytesWritten)} MiB written, ${p.composite.kernels} kernels, peak ${mb(p.composite.peakBytes)} MiB` +
        ` | fused: ${p.fused.dispatches} dispatches, ${mb(p.fused.bytesWritten)} MiB written, ${p.fused.kernels} kernels, peak ${mb(p.fused.peakBytes)} MiB`,
    );
  }
  // One dispatch forward; two backward (row statistics, then d(qkv)).
  expect(r.attentionCall.inference.fused.dispatches).toBe(1);
  expect(r.attentionCall.training.fused.dispatches).toBe(3);
  for (const [name, p] of rows) {
    expect(p.fused.dispatches, name).toBeLessThan(p.composite.dispatches);
    expect(p.fused.bytesWritten, name).toBeLessThan(p.composite.bytesWritten);
  }
});
