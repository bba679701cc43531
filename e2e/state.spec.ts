/**
 * What the screen says about the state of the lab must stay true: an interrupted demo import is
 * noticed and resumed, the header's backend reason is shown whole, and a PyTorch checkpoint given
 * to "Resume from a checkpoint file" is explained (and offered to the Weights tab) instead of
 * failing on a safetensors header.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { collectErrors, goldenCases, imageCount, openApp, waitForDemo } from './helpers';

test('a demo import interrupted by a reload is noticed and resumed to the full dataset', async ({ page }) => {
  await openApp(page);
  const progress = page.getByTestId('import-progress');
  await expect(progress).toContainText(/Fashion-MNIST demo: [1-9]\d* \/ 2000/);
  await page.reload();
  await expect(page.getByText(/The demo import was interrupted \(\d+ images arrived\); it is resumed now\./)).toBeVisible();
  await waitForDemo(page);
  expect(await imageCount(page)).toBe(2004);
  // Once complete, a reload has nothing to resume.
  await page.reload();
  await waitForDemo(page);
  await expect(page.getByText(/The demo import was interrupted/)).toHaveCount(0);
});

test("the header shows the backend's reason whole", async ({ page }) => {
  await openApp(page);
  const reason = page.getByTestId('backend-badge').locator('.reason');
  await expect(reason).toContainText(/\w+/, { timeout: 90_000 });
  const cut = await reason.evaluate((el) => el.scrollWidth > el.clientWidth + 1 || getComputedStyle(el).textOverflow === 'ellipsis');
  expect(cut).toBe(false);
});

test('an official checkpoint.pth given to "Resume from a checkpoint file" says what that input takes and offers the Weights tab', async ({ page }) => {
  const [golden0] = goldenCases();
  const manifest = JSON.parse(readFileSync(path.join(golden0.dir, 'manifest.json'), 'utf8'));
  const golden = { dir: golden0.dir, heads: manifest.config.num_heads as number };
  const errors = collectErrors(page);
  await openApp(page);
  await page.getByRole('tab', { name: 'Export' }).click();
  await page.getByLabel('Checkpoint file').setInputFiles(path.join(golden.dir, 'checkpoint.pth'));
  await expect(page.getByRole('alert').filter({ hasText: 'not a dinolab checkpoint' }).first()).toContainText(
    'this is a PyTorch file (an official checkpoint.pth or backbone), which holds weights but not a dinolab run',
  );
  const offer = page.getByTestId('weights-offer');
  await expect(offer).toContainText('checkpoint.pth holds weights, not a dinolab run.');
  await offer.getByRole('button', { name: 'Load it as weights' }).click();
  await expect(page.getByRole('tab', { name: 'Weights' })).toHaveAttribute('aria-selected', 'true');
  // Its width (48) is no released shape, so the loader asks for the heads instead of guessing.
  await expect(page.getByText(/checkpoint\.pth: cannot tell the number of attention heads/)).toBeVisible();
  // The question is answered in place, and the file loads with its architecture.
  await page.getByTestId('heads-question').getByLabel('Number of attention heads').fill(String(golden.heads));
  await page.getByRole('button', { name: 'Load with these heads' }).click();
  await expect(page.getByText(/cannot tell the number of attention heads/)).toHaveCount(0);
  await expect(page.getByText(`${golden.heads} (head width`)).toBeVisible();
  expect(errors).toEqual([]);
});
