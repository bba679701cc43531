/**
 * Outgrowing the browser: after a short run, the Export tab downloads an official-layout
 * checkpoint.pth and a teacher backbone .pth that the official loaders' key layouts accept, a whole-run
 * checkpoint that resumes the run when picked again, and the equivalent main_dino.py command line.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { loadWeights } from '../src/engine/weights/layouts';
import { pthStateDicts, readPth } from '../src/engine/weights/pth';
import { collectErrors, openApp, trainOneStep, waitForDemo } from './helpers';

async function download(page: Page, button: string): Promise<{ name: string; bytes: Uint8Array }> {
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByRole('button', { name: button }).click()]);
  const file = await dl.path();
  return { name: dl.suggestedFilename(), bytes: new Uint8Array(readFileSync(file!)) };
}

test('exports official checkpoints and resumes from a downloaded run checkpoint', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await trainOneStep(page);

  await page.getByRole('tab', { name: 'Export' }).click();
  await expect(page.getByTestId('official-cli')).toContainText('main_dino.py');
  await expect(page.getByTestId('official-cli')).toContainText('--batch_size_per_gpu 8');

  const official = await download(page, 'Official checkpoint (.pth)');
  expect(official.name).toMatch(/\.pth$/);
  const dicts = pthStateDicts(readPth(official.bytes));
  expect([...dicts.get('student')!.keys()]).toContain('module.backbone.cls_token');
  expect([...dicts.get('teacher')!.keys()]).toContain('head.last_layer.weight_v');
  expect(dicts.get('dino_loss')!.get('center')!.shape).toEqual([1, 256]);
  // No heads hint: the checkpoint's dinolab.config entry carries them (width / 64 would say 1).
  const fromCheckpoint = loadWeights(official.name, official.bytes);
  expect(fromCheckpoint.layout).toBe('official-checkpoint');
  expect(fromCheckpoint.arch).toMatchObject({ patchSize: 8, embedDim: 64, depth: 4, numHeads: 4 });

  // A bare backbone has nowhere to carry them: the loader asks rather than guess.
  const backbone = await download(page, 'Teacher backbone (.pth)');
  expect(() => loadWeights(backbone.name, backbone.bytes)).toThrow(/cannot tell the number of attention heads/);
  const plain = loadWeights(backbone.name, backbone.bytes, { numHeads: 4 });
  expect(plain.layout).toBe('official-backbone');
  expect(plain.backbone.get('pos_embed')!.data).toEqual(fromCheckpoint.backbone.get('pos_embed')!.data);

  const st = await download(page, 'Teacher + head (.safetensors)');
  const fromSt = loadWeights(st.name, st.bytes); // no heads hint: the metadata carries the architecture
  expect(fromSt.layout).toBe('dinolab');
  expect(fromSt.arch.numHeads).toBe(4);
  expect(fromSt.head?.get('last_layer.weight_v')?.shape).toEqual([256, 64]);
  expect(fromSt.backbone.get('pos_embed')!.data).toEqual(fromCheckpoint.backbone.get('pos_embed')!.data);

  const run = await download(page, 'Download checkpoint');
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toContainText(/^2 \//, { timeout: 240_000 });
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByLabel('Checkpoint file').setInputFiles({ name: run.name, mimeType: 'application/octet-stream', buffer: Buffer.from(run.bytes) });
  await page.getByRole('tab', { name: 'Train' }).click();
  await expect(page.getByTestId('step')).toContainText(/^1 \//, { timeout: 60_000 });
  expect(errors).toEqual([]);
});
