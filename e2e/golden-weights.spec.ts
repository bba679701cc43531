/**
 * Official weights through the lab, as a person loads them: the golden case's `backbone.pth`
 * (written by torch) is picked in the Weights tab, the inspector draws one heatmap per head over a
 * photo, and the attention the app computes from those weights equals the official code's
 * attention maps and thresholded masks for the golden input.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { readSafetensors } from '../src/engine/weights/safetensors';
import { thresholdMasks } from '../src/shared/attention-masks';
import { collectErrors, goldenCases, openApp, shot, waitForDemo } from './helpers';

const cases = goldenCases();

test('golden cases exist for the weights check', () => {
  expect(cases.length).toBeGreaterThan(0);
});

for (const { name: caseName, dir } of cases) {
  test(`official ${caseName} weights: heatmaps per head, attention equals the official maps`, async ({ page }) => {
    const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const heads: number = manifest.config.num_heads;
    const fwd = readSafetensors(new Uint8Array(readFileSync(path.join(dir, 'forward.safetensors')))).tensors;
    const errors = collectErrors(page);
    await openApp(page);
    await waitForDemo(page);

    await page.getByRole('tab', { name: 'Weights' }).click();
    await page.getByLabel('Number of attention heads (optional)').fill(String(heads));
    await page.locator('input[type=file][accept*=".pth"]').setInputFiles(path.join(dir, 'backbone.pth'));
    const report = page.getByTestId('weights-report');
    await expect(report).toBeVisible({ timeout: 60_000 });
    await expect(report).toContainText(String(manifest.config.embed_dim));
    await shot(page, `weights-${caseName}`);

    // The inspector over a sample photo: one heatmap per head of the loaded model.
    await page.getByRole('tab', { name: 'Attention' }).click();
    await page.getByRole('button', { name: 'chelsea' }).click();
    const grid = page.getByTestId('heatmap-grid');
    await expect(grid).toBeVisible({ timeout: 120_000 });
    await expect(page.getByRole('status').filter({ hasText: `${heads} heads` })).toBeVisible();
    await expect(grid.locator('canvas[data-testid^="heatmap-"]:not([data-testid="heatmap-mean"])')).toHaveCount(heads);
    await shot(page, `attention-${caseName}`);

    // The same worker and weights, on the golden (already normalised) input.
    const x = fwd.get('x_rect')!;
    const result = await page.evaluate(
      async ({ shape, data }) => {
        const app = (window as unknown as { dinolab: { client: { request: (c: unknown) => Promise<any> } } }).dinolab;
        const r = await app.client.request({
          type: 'attention',
          request: { image: { width: 1, height: 1, pixels: new Uint8Array(3) }, size: [1, 1], network: 'teacher', block: -1, query: 0, input: { shape, data: new Float32Array(data) } },
        });
        return { maps: Array.from(r.result.maps as Float32Array), grid: r.result.grid, heads: r.result.heads };
      },
      { shape: x.shape, data: Array.from(x.data) },
    );
    const expected = fwd.get('cls_attn_maps_rect')!;
    expect(result.heads).toBe(heads);
    expect(result.grid).toEqual(expected.shape.slice(1));
    let worst = 0;
    result.maps.forEach((v: number, i: number) => (worst = Math.max(worst, Math.abs(v - expected.data[i]) - 1e-4 * Math.abs(expected.data[i]))));
    console.log(`${caseName}: attention maps from UI-loaded weights, worst |d| - rtol*|e| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-5);
    const masks = thresholdMasks(Float32Array.from(result.maps), heads, manifest.config.attn_threshold);
    expect(Array.from(masks)).toEqual(Array.from(fwd.get('th_attn_masks_rect')!.data));
    expect(errors).toEqual([]);
  });
}
