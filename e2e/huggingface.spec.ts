/**
 * Loading from the Hugging Face Hub by model id. There is no internet here, so the Hub is played by
 * a route that serves the golden case's HF-layout weights (byte-identical slices of the official
 * backbone) and a config.json, with the CORS headers the Hub sends. A missing repo gets a clear 404 message.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { collectErrors, goldenCases, openApp } from './helpers';

const golden = goldenCases()[0];

test('a Hub model id downloads and loads with the heads from config.json; a missing repo says 404', async ({ page }) => {
  const dir = golden.dir;
  const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')).config;
  const headers = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  await page.route('https://huggingface.co/**', (route) => {
    const url = route.request().url();
    if (url.includes('/golden/dino-test/') && url.endsWith('/config.json')) {
      const config = { model_type: 'vit', num_attention_heads: m.num_heads, patch_size: m.patch_size, hidden_size: m.embed_dim, num_hidden_layers: m.depth };
      return route.fulfill({ status: 200, body: JSON.stringify(config), headers: { ...headers, 'Content-Type': 'application/json' } });
    }
    if (url.includes('/golden/dino-test/') && url.endsWith('/model.safetensors')) {
      return route.fulfill({ status: 200, body: readFileSync(path.join(dir, 'backbone_hf.safetensors')), headers });
    }
    return route.fulfill({ status: 404, body: 'not found', headers });
  });
  const errors = collectErrors(page);
  await openApp(page);
  await page.getByRole('tab', { name: 'Weights' }).click();
  await page.getByLabel('Hugging Face model').fill('golden/dino-test');
  await page.getByRole('button', { name: 'Download' }).click();
  const report = page.getByTestId('weights-report');
  await expect(report).toBeVisible({ timeout: 60_000 });
  await expect(report).toContainText('huggingface');
  await expect(report).toContainText(`${m.num_heads} (head width ${m.embed_dim / m.num_heads})`);

  await page.getByLabel('Hugging Face model').fill('nobody/missing-model');
  await page.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByText(/nobody\/missing-model\/config\.json not found \(404\)/)).toBeVisible({ timeout: 30_000 });
  // Expected console noise: the 404 itself.
  expect(errors.filter((e) => !/404|Failed to load resource/.test(e))).toEqual([]);
});
