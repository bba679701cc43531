/**
 * A run that blows up: with an absurd learning rate the loss becomes non-finite; the worker pauses
 * the run and the lab says so plainly, offering the roll-back when a good checkpoint exists.
 */
import { expect, test } from '@playwright/test';
import { openApp, trainOneStep, waitForDemo } from './helpers';

test('a NaN loss pauses training with a clear banner and a roll-back to the last checkpoint', async ({ page }) => {
  await openApp(page);
  await waitForDemo(page);
  // A sane step first, then Stop: the stopped run is not what a roll-back restores.
  await trainOneStep(page);
  await page.getByTestId('stop').click();
  await expect(page.getByTestId('stopped-note')).toContainText('Stopped at step 1');
  await page.getByLabel('Base learning rate').fill('1e36');
  await page.getByLabel('Warm-up epochs').fill('0');
  await page.getByTestId('start').click();
  const banner = page.getByTestId('diverged');
  await expect(banner).toBeVisible({ timeout: 240_000 });
  await expect(banner).toContainText(/NaN|Infinity/);
  await expect(banner).toContainText(/paused/);
  await expect(page.getByTestId('resume')).toBeVisible();
  // Roll back: the run's last good checkpoint (its step 0, stored when it started; the stopped
  // sane run was forgotten) comes back.
  await banner.getByRole('button', { name: 'Roll back to last good checkpoint' }).click();
  await expect(banner).toHaveCount(0, { timeout: 60_000 });
  await expect(page.getByTestId('step')).toContainText(/^0 \//, { timeout: 60_000 });
});
