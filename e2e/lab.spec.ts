/**
 * The lab as a person uses it: the demo on a first visit, dropping real photos (and a text file
 * that is refused with its reason), a short nano training run whose loss chart grows while the
 * main thread stays responsive, one heatmap per head in the inspector, and a dataset that survives
 * a reload. Screenshots of each screen go to e2e/artifacts/ for review.
 */
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { runPresets } from '../src/shared/config';
import {
  collectErrors,
  dropFiles,
  imageCount,
  longTasksBetween,
  lossPoints,
  observeLongTasks,
  openApp,
  pageNow,
  sample,
  SAMPLES,
  shot,
  trainOneStep,
  waitForDemo,
} from './helpers';

test.describe('dinolab', () => {
  test('first visit shows the demo dataset with its labels', async ({ page }) => {
    const errors = collectErrors(page);
    await openApp(page);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('dinolab');
    const count = await waitForDemo(page);
    expect(count).toBeGreaterThan(4);
    // The four sample photos and Fashion-MNIST images with their class names.
    for (const name of ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg']) {
      await expect(page.getByRole('listitem', { name: new RegExp(`^${name.replace('.', '\\.')},`) })).toBeVisible();
    }
    await expect(page.getByRole('button', { name: /Ankle boot \d+/ })).toBeVisible();
    await expect(page.getByRole('link', { name: 'photo credits' })).toBeVisible();
    await expect(page.getByTestId('backend-badge').locator('b')).toBeVisible({ timeout: 90_000 });
    await shot(page, 'data-demo');
    expect(errors).toEqual([]);
  });

  test('dropped photos join the gallery; a text file is refused with its reason', async ({ page }) => {
    const errors = collectErrors(page);
    await openApp(page);
    const before = await waitForDemo(page);
    await dropFiles(page, page.getByTestId('dropzone'), [
      sample('chelsea.png', 'image/png'),
      sample('rocket.jpg', 'image/jpeg'),
      { name: 'notes.txt', type: 'text/plain', text: 'not a picture' },
      { name: 'broken.png', type: 'image/png', text: 'PNG? no' },
    ]);
    await expect(page.getByTestId('skipped')).toContainText('notes.txt: not an image (text/plain)');
    await expect(page.getByTestId('skipped')).toContainText('broken.png: could not be decoded');
    await expect.poll(() => imageCount(page)).toBe(before + 2);
    // Dropped files have no folder, so they are unlabelled: filter on that label to see them.
    await page.getByRole('button', { name: /^unlabelled \d+$/ }).click();
    await expect(page.getByRole('listitem', { name: /^chelsea\.png,/ })).toHaveCount(2);
    await expect(page.getByRole('listitem', { name: /^rocket\.jpg,/ })).toHaveCount(2);
    await shot(page, 'data-dropped');
    expect(errors).toEqual([]);
  });

  test('a picked folder labels each image with its parent folder', async ({ page }) => {
    const errors = collectErrors(page);
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'dinolab-')), 'pets');
    for (const [folder, file] of [['cats', 'chelsea.png'], ['space', 'rocket.jpg'], ['space', 'astronaut.png']]) {
      mkdirSync(path.join(root, folder), { recursive: true });
      copyFileSync(path.join(SAMPLES, file), path.join(root, folder, file));
    }
    await openApp(page);
    const before = await waitForDemo(page);
    await page.getByLabel('Add a folder of images').setInputFiles(root);
    await expect.poll(() => imageCount(page)).toBe(before + 3);
    await expect(page.getByRole('button', { name: 'cats 1' })).toBeVisible();
    await page.getByRole('button', { name: 'space 2' }).click();
    await expect(page.getByRole('listitem', { name: /^rocket\.jpg, label space,/ })).toBeVisible();
    await expect(page.getByRole('listitem', { name: /^astronaut\.png, label space,/ })).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('nano run: the loss chart grows, the main thread has no long task over 200 ms, a reload resumes', async ({ page }) => {
    const errors = collectErrors(page);
    await observeLongTasks(page);
    await openApp(page);
    await waitForDemo(page);
    await page.getByRole('tab', { name: 'Train' }).click();
    await expect(page.getByLabel('Preset')).toHaveValue('nano');
    // Schedules are drawn before anything runs.
    await expect(page.getByRole('img', { name: 'Learning rate chart' })).toBeVisible();
    await page.getByLabel('Batch size').fill('8');
    await page.getByText('Cadence (browser only)').click();
    await page.getByLabel('Metrics every (steps)').fill('2');
    await expect(page.getByTestId('start')).toBeEnabled();
    await page.getByTestId('start').click();

    await expect.poll(() => lossPoints(page), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
    const first = await lossPoints(page);
    const from = await pageNow(page);
    await expect.poll(() => lossPoints(page), { timeout: 240_000 }).toBeGreaterThan(first + 2);
    // Keep watching the main thread for a while as training goes on.
    await page.waitForTimeout(10_000);
    const to = await pageNow(page);
    const longTasks = await longTasksBetween(page, from, to);
    const max = longTasks[0] ?? 0;
    console.log(`long tasks while training (${Math.round((to - from) / 1000)} s): ${longTasks.length}, max ${Math.round(max)} ms`);
    test.info().annotations.push({ type: 'max long task (ms)', description: String(Math.round(max)) });
    await expect(page.getByTestId('progress')).toContainText('running');
    // The runtime readout: the backend with the threads its kernels run on, the heap in use against
    // the wasm limit, and how the batch of 8 passes (whole: nano fits easily).
    await expect(page.getByTestId('runtime-backend')).toHaveText(/^wasm, \d+ threads?$/);
    await expect(page.getByTestId('runtime-memory')).toHaveText(/^\d+\.\d\d GiB of 3\.50 GiB$/);
    await expect(page.getByTestId('runtime-micro-batch')).toHaveText('whole batch (8)');
    await shot(page, 'train-running');
    await page.getByTestId('pause').click();
    await expect(page.getByTestId('resume')).toBeVisible({ timeout: 60_000 });
    const pausedAt = Number(/^(\d+)/.exec((await page.getByTestId('step').textContent()) ?? '')?.[1]);
    expect(max).toBeLessThan(200);

    // The worker stored a checkpoint when pausing: a reload resumes the run where it was.
    await page.reload();
    await expect(page.getByTestId('resumed')).toContainText(`Resumed run at step ${pausedAt}`, { timeout: 120_000 });
    await expect.poll(() => lossPoints(page)).toBeGreaterThan(first);
    await expect(page.getByTestId('resume')).toBeVisible();
    expect(errors).toEqual([]);
  });

  test('the inspector shows one heatmap per head', async ({ page }) => {
    const errors = collectErrors(page);
    await openApp(page);
    await waitForDemo(page);
    // Train a couple of steps so there is a model to inspect.
    await trainOneStep(page);
    await page.getByRole('tab', { name: 'Attention' }).click();
    await page.getByRole('button', { name: 'chelsea' }).click();
    const grid = page.getByTestId('heatmap-grid');
    await expect(grid).toBeVisible({ timeout: 120_000 });
    const heads = runPresets.nano.model.numHeads;
    await expect(page.getByRole('status').filter({ hasText: `${heads} heads` })).toBeVisible();
    // The model is named, and blocks are numbered from 0 in the menu as in the caption.
    const last = runPresets.nano.model.depth - 1;
    await expect(page.getByTestId('attention-model')).toHaveText(/^run at step \d+$/);
    await expect(page.getByRole('status').filter({ hasText: `teacher block ${last}:` })).toBeVisible();
    await expect(page.locator('label', { hasText: 'Block' }).locator('select option:checked')).toHaveText(`${last} (last)`);
    await expect(grid.locator('canvas[data-testid^="heatmap-"]:not([data-testid="heatmap-mean"])')).toHaveCount(heads);
    for (let h = 0; h < heads; h++) await expect(page.getByTestId(`heatmap-${h}`)).toBeVisible();
    await expect(page.getByTestId('heatmap-mean')).toBeVisible();
    await shot(page, 'attention');
    // A patch as the query, then back to CLS.
    await page.getByTestId('heatmap-0').click({ position: { x: 20, y: 20 } });
    await expect(page.getByRole('button', { name: 'Back to CLS' })).toBeVisible({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Back to CLS' }).click();
    await expect(page.getByText('Query: CLS token')).toBeVisible({ timeout: 60_000 });
    expect(errors).toEqual([]);
  });

  test('the dataset and settings survive a reload', async ({ page }) => {
    const errors = collectErrors(page);
    await openApp(page);
    const demo = await waitForDemo(page);
    await dropFiles(page, page.getByTestId('dropzone'), [sample('coffee.png', 'image/png')]);
    await expect.poll(() => imageCount(page)).toBe(demo + 1);
    await page.getByRole('tab', { name: 'Train' }).click();
    await page.getByLabel('Batch size').fill('12');
    await page.reload();
    // The tab, the edited config and the dataset are all back.
    await expect(page.getByLabel('Batch size')).toHaveValue('12');
    await page.getByRole('tab', { name: 'Data' }).click();
    await expect.poll(() => imageCount(page)).toBe(demo + 1);
    await page.getByRole('button', { name: /^unlabelled \d+$/ }).click();
    await expect(page.getByRole('listitem', { name: /^coffee\.png,/ })).toHaveCount(2);
    await page.getByRole('tab', { name: 'Export' }).click();
    await expect(page.getByTestId('official-cli')).toContainText('--batch_size_per_gpu 12');
    await shot(page, 'export');
    expect(errors).toEqual([]);
  });
});
