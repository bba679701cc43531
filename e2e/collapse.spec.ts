/**
 * The paper's collapse study on the real worker: three short runs (centering off, sharpening off,
 * both on) from one seed. Checked: every run delivers its curves, and switching sharpening off raises
 * the teacher entropy from the very first step (same weights and batch, temperature 0.1 instead of 0.04).
 */
import { expect, test } from '@playwright/test';
import { collectErrors, openApp, shot, waitForDemo } from './helpers';

test('collapse experiment: three runs with their entropy and KL curves', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByLabel('Batch size').fill('8');
  await page.getByRole('tab', { name: 'Collapse experiment' }).click();
  await page.getByLabel('Steps per run').fill('10');
  await page.getByRole('button', { name: 'Run the three runs' }).click();
  await expect(page.getByText('Done: compare the three panels.')).toBeVisible({ timeout: 280_000 });
  const runs = await page.evaluate(() => {
    const s = (window as any).dinolab.store.getState();
    return s.experimentRuns.map((r: any) => ({ key: r.key, steps: Array.from(r.steps), entropy: Array.from(r.entropy), kl: Array.from(r.kl) }));
  });
  expect(runs.map((r: { key: string }) => r.key)).toEqual(['no-centering', 'no-sharpening', 'both']);
  for (const r of runs) {
    expect(r.steps.length).toBeGreaterThanOrEqual(10);
    for (const v of [...r.entropy, ...r.kl]) expect(Number.isFinite(v)).toBe(true);
  }
  const [noCentering, noSharpening, both] = runs;
  expect(noSharpening.entropy[0]).toBeGreaterThan(both.entropy[0]);
  // Centering only differs from the second step on (the center starts at zero).
  expect(noCentering.entropy[0]).toBeCloseTo(both.entropy[0], 4);
  console.log(`entropy at step 0: no-sharpening ${noSharpening.entropy[0].toFixed(3)}, both ${both.entropy[0].toFixed(3)}; at step ${both.steps.at(-1)}: no-centering ${noCentering.entropy.at(-1).toFixed(3)}, no-sharpening ${noSharpening.entropy.at(-1).toFixed(3)}, both ${both.entropy.at(-1).toFixed(3)}`);
  await shot(page, 'collapse-experiment');
  expect(errors).toEqual([]);
});
