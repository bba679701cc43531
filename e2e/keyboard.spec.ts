/**
 * The lab without a mouse: every input below is a key press (page.keyboard), never a click. Load
 * the demo, start training and pause it, open the inspector for a photo and change which heads it
 * shows, then download a checkpoint.
 */
import { expect, test, type Locator, type Page } from '@playwright/test';
import { runPresets } from '../src/shared/config';
import { collectErrors, openApp, waitForDemo } from './helpers';

/** Presses Tab until `target` has the focus; fails after `max` presses. Returns how many it took. */
async function tabTo(page: Page, target: Locator, max = 60): Promise<number> {
  await expect(target).toBeVisible();
  for (let n = 0; n <= max; n++) {
    if (await target.evaluate((el) => el === document.activeElement)) return n;
    await page.keyboard.press('Tab');
  }
  throw new Error(`${target} not reached in ${max} Tab presses`);
}

test('keyboard only: demo, start and pause training, inspector with a head hidden, checkpoint download', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);

  // The tab list is one Tab stop; arrow keys move between tabs.
  await tabTo(page, page.getByRole('tab', { name: 'Data' }));
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Train' })).toBeFocused();
  await expect(page.getByRole('tab', { name: 'Train' })).toHaveAttribute('aria-selected', 'true');

  // Start with Enter on the button: it becomes Pause and keeps the focus, so Space pauses.
  const start = page.getByTestId('start');
  await tabTo(page, start);
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('progress')).toContainText('running', { timeout: 60_000 });
  await expect(page.getByTestId('pause')).toBeFocused();
  await expect(page.getByTestId('step')).toContainText(/^[1-9][\d,]* \//, { timeout: 240_000 });
  await page.keyboard.press('Space');
  await expect(page.getByTestId('resume')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('resume')).toBeFocused();
  await expect(page.getByTestId('progress')).toContainText('paused');

  // The inspector: shortcut 3 (the Resume button leaves with its tab, and the focus with it), a photo by Enter, then head 0 hidden with Space on its checkbox.
  await page.keyboard.press('3');
  await expect(page.getByRole('tab', { name: 'Attention' })).toHaveAttribute('aria-selected', 'true');
  await tabTo(page, page.getByRole('button', { name: 'chelsea' }));
  await page.keyboard.press('Enter');
  const heads = runPresets.nano.model.numHeads;
  const grid = page.getByTestId('heatmap-grid');
  await expect(grid.getByRole('img', { name: /^head \d+: teacher block \d+, run at step \d+, chelsea\.png, CLS query$/ })).toHaveCount(heads, { timeout: 120_000 });
  const head0 = page.getByRole('group', { name: 'Visible heads' }).getByRole('checkbox', { name: '0', exact: true });
  await tabTo(page, head0);
  await page.keyboard.press('Space');
  await expect(head0).not.toBeChecked();
  await expect(page.getByTestId('heatmap-0')).toHaveCount(0);
  await expect(grid.getByRole('img', { name: /^head \d+: teacher/ })).toHaveCount(heads - 1);

  // Export: shortcut 5, then Enter on the checkpoint button downloads the run.
  await page.keyboard.press('5');
  await expect(page.getByRole('tab', { name: 'Export' })).toHaveAttribute('aria-selected', 'true');
  const download = page.waitForEvent('download', { timeout: 120_000 });
  await tabTo(page, page.getByRole('button', { name: 'Download checkpoint' }));
  await page.keyboard.press('Enter');
  expect((await download).suggestedFilename()).toMatch(/\.safetensors$/);
  expect(errors).toEqual([]);
});
