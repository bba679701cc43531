/**
 * The Evaluate tab with the Fashion-MNIST demo: features of every image, k-NN under both rules with
 * the pixel and random-init baselines, a t-SNE map that stays responsive, hover and click on the
 * map (retrieval gallery, attention inspector), then patch PCA and attention rollout there.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  collectErrors,
  dropFiles,
  imageCount,
  longTasksBetween,
  observeLongTasks,
  openApp,
  pageNow,
  sample,
  SAMPLES,
  shot,
  trainOneStep,
  waitForDemo,
} from './helpers';

async function clickPoint0(page: import('@playwright/test').Page): Promise<void> {
  const canvas = page.getByTestId('embedding-canvas');
  const at = await canvas.getAttribute('data-point0');
  const [x, y] = at!.split(',').map(Number);
  await canvas.click({ position: { x, y } });
}

test('evaluate: demo features, k-NN of weights vs baselines under both rules, t-SNE map, retrieval and inspector; no main-thread block over 50 ms', async ({ page }) => {
  const errors = collectErrors(page);
  await observeLongTasks(page);
  await openApp(page);
  const images = await waitForDemo(page);
  await trainOneStep(page);
  await page.getByRole('tab', { name: 'Evaluate' }).click();
  // The nano model's training crop size keeps the test quick; 224 is the default.
  await expect(page.getByLabel('resolution (px)')).toHaveValue('224');
  await page.getByLabel('resolution (px)').fill('32');

  const from = await pageNow(page);
  await page.getByRole('button', { name: 'Extract features' }).click();
  await expect(page.getByRole('status', { name: 'feature extraction progress' })).toContainText(/images\/s|images/, { timeout: 60_000 });
  const summary = page.getByTestId('feature-summary');
  await expect(summary).toContainText(`${images} images × 64 features`, { timeout: 280_000 });

  // The write-up's rule by default, with both baselines on the same split.
  const table = page.getByTestId('knn-results');
  await expect(table).toContainText("write-up rule (sklearn)");
  for (const source of ['model', 'random', 'pixels']) await expect(table.locator(`tr[data-source="${source}"] td`).first()).toHaveText(/^\d+\.\d %$/);
  const pixels = Number((await table.locator('tr[data-source="pixels"] td').first().textContent())!.replace(' %', ''));
  expect(pixels).toBeGreaterThan(50); // raw pixels of Fashion-MNIST are far above chance (10 %)
  await expect(page.getByRole('table', { name: /confusion matrix/ })).toBeVisible();

  // The official rule: top-5 appears.
  await page.getByLabel(/official DINO eval_knn\.py rule/).check();
  await page.getByRole('button', { name: 'Score' }).click();
  await expect(table).toContainText('official eval_knn rule');
  await expect(table.locator('th', { hasText: 'top-5' })).toBeVisible();

  // t-SNE of all images, with intermediate maps, then the final one.
  await page.getByRole('button', { name: 't-SNE (sklearn defaults)' }).click();
  await expect(page.getByTestId('map-status')).toContainText(/t-SNE: iteration \d+ of 1000/, { timeout: 120_000 });
  await expect(page.getByTestId('map-status')).toContainText(/learning rate.*: \d+\.\d s/, { timeout: 280_000 });
  const to = await pageNow(page);
  const longTasks = await longTasksBetween(page, from, to);
  console.log(`evaluate: long tasks during extraction + k-NN + t-SNE of ${images} images (${Math.round((to - from) / 1000)} s): ${longTasks.length}, max ${Math.round(longTasks[0] ?? 0)} ms`);
  await shot(page, 'evaluate-tsne');
  expect(longTasks[0] ?? 0).toBeLessThanOrEqual(50);

  // UMAP (umap-js) of the same features, also in the worker.
  await page.getByRole('button', { name: 'UMAP' }).click();
  await expect(page.getByTestId('map-status')).toContainText(/UMAP \(umap-js.*: \d+\.\d s/, { timeout: 280_000 });
  await expect(page.getByRole('img', { name: /umap map of \d+ images/ })).toBeVisible();
  // Back to t-SNE's map for the clicks below (a quick PCA would do as well).
  await page.getByRole('button', { name: 'PCA' }).click();
  await expect(page.getByTestId('map-status')).toContainText('PCA');
  // The map as SVG: one marker (a circle or a shape's path) per image and a legend entry per class.
  const [svgDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export SVG' }).click()]);
  const svg = readFileSync((await svgDownload.path())!, 'utf8');
  expect(svg.match(/<(circle|path) [^>]*><title>/g)).toHaveLength(images);
  expect(svg).toContain('>Trouser</text>');

  // Hover shows the image; click shows neighbours, then opens the inspector.
  const canvas = page.getByTestId('embedding-canvas');
  const [x, y] = (await canvas.getAttribute('data-point0'))!.split(',').map(Number);
  await canvas.hover({ position: { x, y } });
  await expect(page.getByTestId('map-tooltip')).toBeVisible();
  await page.getByLabel('show its nearest neighbours').check();
  await clickPoint0(page);
  const retrieval = page.getByTestId('retrieval');
  await expect(retrieval.locator('figure')).toHaveCount(9);
  await expect(retrieval).toContainText('1 − cos');
  await page.getByLabel('open it in the attention inspector').check();
  await clickPoint0(page);
  await expect(page.getByRole('tab', { name: 'Attention' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('heatmap-grid')).toBeVisible({ timeout: 120_000 });
  // Beyond the CLS row: patch PCA as RGB and attention rollout over all blocks.
  await page.getByLabel('head fusion').selectOption('max');
  await page.getByRole('button', { name: 'Compute patch PCA and rollout' }).click();
  await expect(page.getByTestId('patch-pca')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('rollout')).toBeVisible();
  await expect(page.getByText(/rollout over all blocks \(max of heads, 0\.9 discarded\)/)).toBeVisible();
  // Per-head entropy, and the Jaccard index of each head's mask with the patch-PCA foreground.
  await expect(page.getByTestId('head-stats')).toContainText('Jaccard');
  await expect(page.getByTestId('head-stats').locator('tbody tr')).toHaveCount(4);
  await shot(page, 'evaluate-patch-views');
  expect(errors).toEqual([]);
});

test('k-NN monitor: with "every 1 epochs" on, the k-NN of the teacher is charted beside the loss as epochs end', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByLabel('Batch size').fill('64');
  await page.getByText('Cadence (browser only)').click();
  await page.getByLabel('Metrics every (steps)').fill('5');
  await page.getByLabel('k-NN monitor', { exact: true }).check();
  await expect(page.getByLabel('k-NN monitor every (epochs)')).toHaveValue('1');
  await page.getByTestId('start').click();
  const top1 = page.locator('[data-testid="chart-knn"] path[data-series="knnTop1"]');
  await expect(top1).toHaveCount(1, { timeout: 280_000 });
  expect(Number(await top1.getAttribute('data-points'))).toBeGreaterThanOrEqual(1);
  await shot(page, 'knn-monitor');
  await page.getByTestId('pause').click();
  expect(errors).toEqual([]);
});

test('evaluate on dropped photos: without labels it says why it cannot score and still maps; a picked labelled folder then scores', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await page.getByRole('button', { name: 'Clear all…' }).click();
  await page.getByRole('button', { name: 'Delete all' }).click();
  await expect.poll(() => imageCount(page)).toBe(0);
  await dropFiles(page, page.getByTestId('dropzone'), [sample('chelsea.png', 'image/png'), sample('coffee.png', 'image/png'), sample('rocket.jpg', 'image/jpeg'), sample('astronaut.png', 'image/png')]);
  await expect.poll(() => imageCount(page)).toBe(4);
  await trainOneStep(page, 2);

  await page.getByRole('tab', { name: 'Evaluate' }).click();
  await page.getByLabel('resolution (px)').fill('32');
  await page.getByRole('button', { name: 'Extract features' }).click();
  await expect(page.getByTestId('feature-summary')).toContainText('4 images × 64 features', { timeout: 120_000 });
  await expect(page.getByTestId('knn-unscorable')).toContainText('no image has a label');
  await expect(page.getByTestId('map-status')).toContainText('PCA');
  await expect(page.getByRole('img', { name: /pca map of 4 images/ })).toBeVisible();

  // A folder of labelled photos (folder names are labels).
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), 'dinolab-eval-')), 'photos');
  for (const [folder, file] of [['cats', 'chelsea.png'], ['space', 'rocket.jpg'], ['space', 'astronaut.png'], ['cats', 'coffee.png']]) {
    mkdirSync(path.join(root, folder), { recursive: true });
    copyFileSync(path.join(SAMPLES, file), path.join(root, folder, `l-${file}`));
  }
  await page.getByRole('tab', { name: 'Data' }).click();
  await page.getByLabel('Add a folder of images').setInputFiles(root);
  await expect.poll(() => imageCount(page)).toBe(8);
  await page.getByRole('tab', { name: 'Evaluate' }).click();
  await page.getByLabel('k', { exact: true }).fill('1');
  await page.getByLabel('validation fraction').fill('0.5');
  await page.getByRole('button', { name: 'Extract features' }).click();
  await expect(page.getByTestId('feature-summary')).toContainText('8 images × 64 features', { timeout: 120_000 });
  await expect(page.getByTestId('knn-unscorable')).toHaveCount(0);
  await expect(page.getByTestId('knn-results')).toContainText('2 train / 2 validation images');
  await expect(page.getByRole('table', { name: /confusion matrix/ })).toContainText('cats');
  expect(errors).toEqual([]);
});
