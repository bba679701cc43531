/**
 * Helpers for the lab specs: real files dropped through a DataTransfer built in the page, console
 * errors collected, long tasks observed on the main thread, screenshots kept for review.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Locator, type Page } from '@playwright/test';
import { DINO_GOLDEN_FORMAT, findCases, type CaseDir } from '../src/conformance/golden-dirs';

// The package is an ES module: no __dirname.
const here = path.dirname(fileURLToPath(import.meta.url));
/** The four sample photos the app ships. */
export const SAMPLES = path.resolve(here, '../public/samples');
export const ARTIFACTS = path.resolve(here, 'artifacts');

/** The official DINO golden cases, found as the conformance command finds them (src/conformance/golden-dirs.ts). */
export function goldenCases(): CaseDir[] {
  return findCases().filter((c) => c.format === DINO_GOLDEN_FORMAT);
}

export interface DropFile {
  name: string;
  type: string;
  /** File contents: a path to read, or text. */
  path?: string;
  text?: string;
}

export function sample(name: string, type: string): DropFile {
  return { name, type, path: path.join(SAMPLES, name) };
}

/** Drop files onto `target` the way a browser does: a `drop` event carrying a real DataTransfer. */
export async function dropFiles(page: Page, target: Locator, files: DropFile[]): Promise<void> {
  const payload = files.map((f) => ({
    name: f.name,
    type: f.type,
    bytes: [...(f.path ? readFileSync(f.path) : Buffer.from(f.text ?? ''))],
  }));
  const dataTransfer = await page.evaluateHandle((items) => {
    const dt = new DataTransfer();
    for (const it of items) dt.items.add(new File([new Uint8Array(it.bytes)], it.name, { type: it.type }));
    return dt;
  }, payload);
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

/** Console errors and uncaught page errors (the favicon the page does not ship is not ours). */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/favicon\.ico/.test(m.location().url)) return;
    errors.push(`${m.text()} (${m.location().url}:${m.location().lineNumber})`);
  });
  page.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  return errors;
}

/** Installs a PerformanceObserver for main-thread long tasks before any page script runs. */
export async function observeLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: { start: number; duration: number }[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
}

/** Long tasks that started within [from, to] (performance.now() times), longest first. */
export async function longTasksBetween(page: Page, from: number, to: number): Promise<number[]> {
  return page.evaluate(
    ([a, b]) =>
      (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks
        .filter((t) => t.start >= a && t.start <= b)
        .map((t) => t.duration)
        .sort((x, y) => y - x),
    [from, to] as const,
  );
}

export const pageNow = (page: Page) => page.evaluate(() => performance.now());

/** Open the app; with E2E_BACKEND set (e.g. "wasm"), pick that backend through the header select. */
export async function openApp(page: Page): Promise<void> {
  await page.goto('/');
  const backend = process.env.E2E_BACKEND;
  if (backend) await page.getByLabel('Compute backend').selectOption(backend);
}

/** Wait for the first-visit demo: Fashion-MNIST labels listed and no import in progress. */
export async function waitForDemo(page: Page): Promise<number> {
  await expect(page.getByTestId('label-counts')).toContainText('Trouser');
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  return imageCount(page);
}

export async function imageCount(page: Page): Promise<number> {
  const text = (await page.getByTestId('image-count').textContent()) ?? '';
  return Number(/^(\d+)/.exec(text.replace(/,/g, ''))?.[1] ?? NaN);
}

/** Number of metric rows behind the loss chart's line (0 while the chart is empty). */
export async function lossPoints(page: Page): Promise<number> {
  const line = page.locator('[data-testid="chart-loss"] path[data-series="loss"]');
  if ((await line.count()) === 0) return 0;
  return Number(await line.getAttribute('data-points'));
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** On the Train tab, with batch size `batch`, run one step from idle and wait until it is reported. */
export async function trainOneStep(page: Page, batch = 8): Promise<void> {
  await page.getByRole('tab', { name: 'Train' }).click();
  await page.getByLabel('Batch size').fill(String(batch));
  await page.getByTestId('step-once').click();
  await expect(page.getByTestId('step')).toContainText(/^1 \//, { timeout: 240_000 });
}
