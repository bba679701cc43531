/**
 * dinolab's WGSL attention kernels (src/engine/webgpu) in Chromium's WebGPU (SwiftShader here:
 * correct, never timed) against tfjs's composite ops on the same backend: outputs, probabilities
 * and gradients on random inputs, the last block's CLS-only attention (the query range [0, 1)),
 * a 3137-token row without its 39 MB matrix, a small ViT with and
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

async function runPart<T>(page: Page, part: string, timeout = 280_000): Promise<T> {
  await page.goto(`/src/conformance/browser.html?check=webgpu-attention&part=${part}`);
  const handle = await page.waitForFunction(() => (window as unknown as { __attentionCheck?: unknown }).__attentionCheck, undefined, { timeout });
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
  const { cases } = await runPart<{ cases: { shape: string; checks: Compared[]; keyBiasGrad: { fused: number; composite: number } }[] }>(page, 'kernels');
  expect(cases.length).toBeGreaterThanOrEqual(5);
  for (const c of cases) {
    const kb = c.keyBiasGrad;
    console.log(
      `${c.shape}: ${c.checks.map((k) => `${k.name} ${k.relErr.toExponential(1)}`).join(', ')}; key-bias gradient ${kb.fused.toExponential(1)} (composite ${kb.composite.toExponential(1)})`,
    );
    expect(c.checks.map((k) => k.name)).toEqual(['output', 'row output', 'row probabilities', 'd(qkv)']);
    expect(failing(c.checks), c.shape).toEqual([]);
    expect(kb.fused, `${c.shape}: key-bias gradient`).toBeLessThanOrEqual(5 * kb.composite + 1e-7);
  }
});

test('the CLS-only attention of the last block (clsAttention) runs on the kernels: output and d(qkv) as the composite path\'s', async ({ page }) => {
  const { cases } = await runPart<{ cases: { shape: string; checks: Compared[]; keyBiasGrad: { fused: number; composite: number }; dispatches: number }[] }>(page, 'cls');
  expect(cases.map((c) => c.shape.split(' ')[1])).toEqual(['N=1', 'N=5', 'N=17', 'N=50', 'N=130', 'N=3137']);
  for (const c of cases) {
    const kb = c.keyBiasGrad;
    console.log(
      `${c.shape}: ${c.checks.map((k) => `${k.name} ${k.relErr.toExponential(1)}`).join(', ')}; key-bias gradient ${kb.fused.toExponential(1)} (composite ${kb.composite.toExponential(1)}); ${c.dispatches} dispatches`,
    );
    expect(c.checks.map((k) => k.name)).toEqual(['CLS output', 'd(qkv)']);
    expect(failing(c.checks), c.shape).toEqual([]);
    expect(kb.fused, `${c.shape}: key-bias gradient`).toBeLessThanOrEqual(5 * kb.composite + 1e-7);
    // The forward, then the CLS rows' statistics and d(qkv); tfjs's ops take a few dozen.
    expect(c.dispatches, c.shape).toBe(3);
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
  // New tensors: the two rows; the matrix alone would be 39 MB.
  expect(r.counted.peakBytes).toBeLessThan(r.matrixBytes / 1000);
});

test('a ViT with the WebGPU kernels gives the composite path\'s features, attention and gradients, leaking nothing', async ({ page }) => {
  const r = await runPart<{ checks: Compared[]; tensorsLeaked: number; wideHeadRuns: boolean }>(page, 'model');
  console.log(r.checks.map((k) => `${k.name} ${k.relErr.toExponential(1)}`).join(', '));
  expect(r.checks.length).toBeGreaterThan(20);
  expect(failing(r.checks)).toEqual([]);
  expect(r.tensorsLeaked).toBe(0);
  // Heads wider than the kernels take (one head of 160) fall back to tfjs's ops.
  expect(r.wideHeadRuns).toBe(true);
});

type Pair = { fused: Counted; composite: Counted };
const mb = (b: number) => (b / 2 ** 20).toFixed(2);
const line = (name: string, p: Pair) =>
  `${name} | composite: ${p.composite.dispatches} dispatches, ${mb(p.composite.bytesWritten)} MiB written, ${p.composite.kernels} kernels, peak ${mb(p.composite.peakBytes)} MiB` +
  ` | fused: ${p.fused.dispatches} dispatches, ${mb(p.fused.bytesWritten)} MiB written, ${p.fused.kernels} kernels, peak ${mb(p.fused.peakBytes)} MiB`;
const fewer = (name: string, p: Pair) => {
  console.log(line(name, p));
  expect(p.fused.dispatches, name).toBeLessThan(p.composite.dispatches);
  expect(p.fused.bytesWritten, name).toBeLessThan(p.composite.bytesWritten);
};

test.describe('dispatches and bytes written (docs/performance.md, WebGPU)', () => {
  test.setTimeout(600_000);

  test('one attention call of ViT-S/16 at 224 px: 1 dispatch forward, 3 forward + backward', async ({ page }) => {
    const r = await runPart<{ inference: Pair; training: Pair }>(page, 'count-attention', 580_000);
    fewer('attention call, inference', r.inference);
    fewer('attention call, forward + backward', r.training);
    expect(r.inference.fused.dispatches).toBe(1);
    // Forward, then the rows' statistics and d(qkv).
    expect(r.training.fused.dispatches).toBe(3);
  });

  test('the last block\'s CLS-only attention of ViT-S/16 at 224 px: 1 dispatch forward, 3 forward + backward', async ({ page }) => {
    const r = await runPart<{ inference: Pair; training: Pair }>(page, 'count-cls-attention', 580_000);
    fewer('CLS-only attention call, inference', r.inference);
    fewer('CLS-only attention call, forward + backward', r.training);
    expect(r.inference.fused.dispatches).toBe(1);
    expect(r.training.fused.dispatches).toBe(3);
  });

  test('ViT-S/16 forward at 224 px', async ({ page }) => {
    fewer('ViT-S/16 forward at 224 px, 1 image', await runPart<Pair>(page, 'count-vit-s16', 580_000));
  });

  test('one nano training step', async ({ page }) => {
    fewer('nano training step (batch 16)', await runPart<Pair>(page, 'count-nano-step', 580_000));
  });
});
