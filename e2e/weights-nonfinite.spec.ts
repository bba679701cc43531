/**
 * Weights with NaN or infinite values are not used until the person says so: the Weights tab
 * names the tensors, and "Load them anyway" loads them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { readSafetensors, writeSafetensors } from '../src/engine/weights/safetensors';
import { collectErrors, goldenCases, openApp } from './helpers';

test('NaN weights are listed by tensor name and loaded only after "Load them anyway"', async ({ page }) => {
  const golden = goldenCases()[0];
  const heads: number = JSON.parse(readFileSync(path.join(golden.dir, 'manifest.json'), 'utf8')).config.num_heads;
  const backbone = readSafetensors(new Uint8Array(readFileSync(path.join(golden.dir, 'backbone.safetensors')))).tensors;
  const bias = backbone.get('blocks.0.attn.proj.bias')!;
  const poisoned = { ...bias, data: Float32Array.from(bias.data, (v, i) => (i < 2 ? NaN : v)) };
  const file = writeSafetensors(new Map(backbone).set('blocks.0.attn.proj.bias', poisoned));

  const errors = collectErrors(page);
  await openApp(page);
  await page.getByRole('tab', { name: 'Weights' }).click();
  await page.getByLabel('Number of attention heads (optional)').fill(String(heads));
  await page.locator('input[type=file][accept*=".pth"]').setInputFiles({ name: 'poisoned.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(file) });
  const warning = page.getByTestId('weights-nonfinite');
  await expect(warning).toContainText('Not loaded: these weights hold NaN or infinite values', { timeout: 60_000 });
  await expect(warning).toContainText(`backbone.blocks.0.attn.proj.bias (2 of ${bias.data.length})`);
  await expect(page.getByRole('button', { name: 'Use this architecture for the run' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Load them anyway' }).click();
  await expect(warning).toContainText('Loaded although these weights hold NaN or infinite values');
  await expect(page.getByRole('button', { name: 'Load them anyway' })).toHaveCount(0);
  expect(errors).toEqual([]);
});
