/**
 * Accessibility: axe-core (every rule it runs by default: WCAG 2.x A/AA and best practices) on
 * every tab, in the states a person reaches: the demo loaded (light and dark), an empty dataset,
 * training running, the inspector with its maps, features scored, weights loaded. The issue asks
 * for no critical or serious violation; all four impacts are at 0, so any violation fails. The
 * counts by impact of each state are printed and kept as annotations. Also: the training curves'
 * live summary speaks at most every ANNOUNCE_MS.
 */
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { runPresets } from '../src/shared/config';
import { ANNOUNCE_MS } from '../src/ui/charts/summary';
import { collectErrors, goldenCases, imageCount, lossPoints, openApp, waitForDemo } from './helpers';

const TAB_NAMES = ['Data', 'Train', 'Attention', 'Weights', 'Export', 'Evaluate'] as const;
type TabName = (typeof TAB_NAMES)[number];

const IMPACTS = ['critical', 'serious', 'moderate', 'minor'] as const;

/** Runs axe on the whole page; returns the violations, and logs their count by impact under `state`. */
async function axe(page: Page, state: string) {
  const t0 = Date.now();
  const { violations } = await new AxeBuilder({ page }).analyze();
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  const counts = Object.fromEntries(IMPACTS.map((i) => [i, violations.filter((v) => v.impact === i).reduce((n, v) => n + v.nodes.length, 0)]));
  const rules = violations.map((v) => `${v.impact} ${v.id} (${v.nodes.length}): ${v.nodes[0].target.join(' ')}`);
  console.log(`axe ${state} (${seconds} s): ${IMPACTS.map((i) => `${i} ${counts[i]}`).join(', ')}${rules.length ? `\n  ${rules.join('\n  ')}` : ''}`);
  test.info().annotations.push({ type: `axe ${state}`, description: JSON.stringify(counts) });
  return violations;
}

/** No violation in this state (listed by rule and first elements); soft, so one run reports every state. */
async function expectAccessible(page: Page, state: string): Promise<void> {
  const bad = await axe(page, state);
  expect.soft(bad.map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`), state).toEqual([]);
}

async function openTab(page: Page, name: TabName): Promise<void> {
  await page.getByRole('tab', { name }).click();
  await expect(page.getByRole('tab', { name })).toHaveAttribute('aria-selected', 'true');
}

/** Every tab in turn, each once its own content is drawn. */
async function everyTab(page: Page, state: string, ready: Partial<Record<TabName, () => Promise<void>>> = {}): Promise<void> {
  for (const name of TAB_NAMES) {
    await openTab(page, name);
    await ready[name]?.();
    await expectAccessible(page, `${name} / ${state}`);
  }
}

test('axe: every tab with the demo loaded and with an empty dataset, the Train views and the shortcuts dialog', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await expect(page.getByTestId('gallery-item').first()).toBeVisible();
  const trainReady = { Train: () => expect(page.getByRole('img', { name: /Learning rate chart/ })).toBeVisible() };
  await everyTab(page, 'demo loaded', trainReady);
  await page.emulateMedia({ colorScheme: 'dark' });
  await everyTab(page, 'demo loaded, dark', trainReady);
  await page.emulateMedia({ colorScheme: 'light' });

  await openTab(page, 'Train');
  for (const view of ['Augmentations', 'Collapse experiment']) {
    await page.getByRole('tab', { name: view }).click();
    await expect(page.getByRole('tab', { name: view })).toHaveAttribute('aria-selected', 'true');
    await expectAccessible(page, `Train ${view} / demo loaded`);
  }
  await page.getByRole('tab', { name: 'Curves' }).click();

  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await expectAccessible(page, 'shortcuts dialog');
  await page.keyboard.press('Escape');

  await openTab(page, 'Data');
  await page.getByRole('button', { name: 'Clear all…' }).click();
  await expectAccessible(page, 'Data / confirming clear');
  await page.getByRole('button', { name: 'Delete all' }).click();
  await expect.poll(() => imageCount(page)).toBe(0);
  await everyTab(page, 'empty dataset');
  expect(errors).toEqual([]);
});

test('axe: training running, the inspector with maps and patch views, features scored and mapped, export after a run', async ({ page }) => {
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await openTab(page, 'Train');
  await page.getByLabel('Batch size').fill('8');
  await page.getByText('Cadence (browser only)').click();
  await page.getByLabel('Metrics every (steps)').fill('1');
  // Record when the live summary of the curves changes: metrics come every step, it speaks less often.
  await page.getByTestId('metrics-announcer').evaluate((el) => {
    const w = window as unknown as { __said: { t: number; text: string }[] };
    w.__said = [];
    new MutationObserver(() => w.__said.push({ t: performance.now(), text: el.textContent ?? '' })).observe(el, { childList: true, characterData: true, subtree: true });
  });
  await page.getByTestId('start').click();
  await expect.poll(() => lossPoints(page), { timeout: 240_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('progress')).toContainText('running');
  await expectAccessible(page, 'Train / running');
  await expect(page.getByTestId('metrics-announcer')).toHaveAttribute('aria-live', 'polite');
  const said = () => page.evaluate(() => (window as unknown as { __said: { t: number; text: string }[] }).__said);
  await expect.poll(async () => (await said()).length, { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  const spoken = await said();
  const rows = await lossPoints(page);
  console.log(`live summary: ${spoken.length} announcements for ${rows} metric rows: ${spoken.map((s) => `${Math.round(s.t)} ms "${s.text}"`).join(', ')}`);
  expect(spoken[spoken.length - 1].text).toMatch(/^Step [\d,]+: loss [\d.e+-]+, teacher entropy [\d.e+-]+, KL [\d.e+-]+ \(ln K [\d.]+\)\.$/);
  for (let i = 1; i < spoken.length; i++) expect(spoken[i].t - spoken[i - 1].t).toBeGreaterThanOrEqual(ANNOUNCE_MS - 50);
  expect(rows).toBeGreaterThan(spoken.length);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('resume')).toBeVisible({ timeout: 60_000 });
  await expectAccessible(page, 'Train / paused');

  await openTab(page, 'Attention');
  await page.getByRole('button', { name: 'chelsea' }).click();
  await expect(page.getByTestId('heatmap-grid')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId(`heatmap-${runPresets.nano.model.numHeads - 1}`)).toBeVisible();
  await page.getByRole('button', { name: 'Compute patch PCA and rollout' }).click();
  await expect(page.getByTestId('rollout')).toBeVisible({ timeout: 120_000 });
  await expectAccessible(page, 'Attention / maps and patch views');

  await openTab(page, 'Export');
  await expect(page.getByRole('button', { name: 'Download checkpoint' })).toBeEnabled();
  await expectAccessible(page, 'Export / after a run');

  await openTab(page, 'Evaluate');
  await page.getByLabel('resolution (px)').fill('32');
  await page.getByLabel('baselines (raw pixels, randomly initialised ViT)').uncheck();
  await page.getByRole('button', { name: 'Extract features' }).click();
  await expect(page.getByTestId('feature-summary')).toBeVisible({ timeout: 280_000 });
  await expect(page.getByRole('table', { name: /confusion matrix/ })).toBeVisible({ timeout: 60_000 });
  await page.getByRole('button', { name: 'PCA' }).click();
  await expect(page.getByTestId('map-status')).toContainText('PCA');
  await expectAccessible(page, 'Evaluate / features, k-NN and map');
  expect(errors).toEqual([]);
});

test('axe: weights loaded, on the Weights and Attention tabs', async ({ page }) => {
  const [golden] = goldenCases();
  expect(golden, 'a golden case with backbone.pth').toBeTruthy();
  const heads: number = JSON.parse(readFileSync(path.join(golden.dir, 'manifest.json'), 'utf8')).config.num_heads;
  const errors = collectErrors(page);
  await openApp(page);
  await waitForDemo(page);
  await openTab(page, 'Weights');
  await page.getByLabel('Number of attention heads (optional)').fill(String(heads));
  await page.getByLabel('Weights file').setInputFiles(path.join(golden.dir, 'backbone.pth'));
  await expect(page.getByTestId('weights-report')).toBeVisible({ timeout: 60_000 });
  await expectAccessible(page, 'Weights / loaded');
  await openTab(page, 'Attention');
  await page.getByRole('button', { name: 'chelsea' }).click();
  await expect(page.getByTestId('heatmap-grid')).toBeVisible({ timeout: 120_000 });
  await expectAccessible(page, 'Attention / weights loaded');
  expect(errors).toEqual([]);
});
