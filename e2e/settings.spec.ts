/**
 * Settings a person can type that cannot work: each is refused beside its own field, blocks Start,
 * is never stored, and a stored one that is invalid (from an older version) falls back to the
 * defaults with a message. No value can blank the page.
 */
import { expect, test, type Page } from '@playwright/test';
import { collectErrors, openApp, waitForDemo } from './helpers';

const field = (page: Page, path: string) => page.locator(`[data-field="${path}"]`);

async function openTrain(page: Page): Promise<void> {
  await openApp(page);
  await waitForDemo(page);
  await page.getByRole('tab', { name: 'Train' }).click();
  await expect(page.getByTestId('start')).toBeEnabled();
}

test('Epochs 0 is refused beside its field and does not blank the page, now or after a reload', async ({ page }) => {
  const errors = collectErrors(page);
  await openTrain(page);
  for (const epochs of ['0', '1000000000']) {
    await page.getByLabel('Epochs', { exact: true }).fill(epochs);
    await expect(field(page, 'train.epochs').locator('.field-error')).toContainText(/must be in \[1, 1000\]|limited to/);
    await expect(page.getByTestId('start')).toBeDisabled();
    await expect(page.getByLabel('Schedules')).toContainText('Fix Epochs');
  }
  await page.getByLabel('Epochs', { exact: true }).fill('12');
  await page.getByLabel('Warm-up epochs').fill('13');
  await expect(field(page, 'train.warmupEpochs').locator('.field-error')).toHaveText('must be in [0, 12] (at most the epochs), got 13');
  await expect(page.getByLabel('Schedules')).toContainText('Fix Warm-up epochs');
  // The invalid value was never stored: a reload shows the last valid config.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('dinolab');
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('12');
  await expect(page.getByLabel('Warm-up epochs')).toHaveValue('2');
  expect(errors).toEqual([]);
});

test('text that is not a number, negative rates, a huge lr, 1000 local crops and an empty batch size each block Start with their reason, and hide the memory estimate', async ({ page }) => {
  const errors = collectErrors(page);
  await openTrain(page);
  const cases: [string, string, string, RegExp][] = [
    ['Base learning rate', 'train.lr', 'abc', /^not a number/],
    ['Base learning rate', 'train.lr', '1e308', /must be in \[0, 1e\+37\] \(the peak lr must stay a finite float32\), got 1e\+308/],
    ['Final learning rate', 'train.minLr', '-1', /must be in \[0, 1e\+37\] .*got -1/],
    ['Warm-up epochs', 'train.warmupEpochs', '-1', /must be in \[0, 20\] \(at most the epochs\), got -1/],
    ['Local crops', 'augment.nLocalCrops', '1000', /must be in \[0, 16\] \(the paper uses at most 10.*got 1000/],
    ['Batch size', 'train.batchSize', '', /./],
  ];
  for (const [label, path, typed, message] of cases) {
    const input = page.getByLabel(label, { exact: true });
    const before = await input.inputValue();
    await page.locator(`[data-field="${path}"]`).evaluate((el) => el.closest('details')?.setAttribute('open', ''));
    await input.fill(typed);
    await expect(field(page, path).locator('.field-error'), `${label} = ${typed}`).toHaveText(message);
    await expect(page.getByTestId('start')).toBeDisabled();
    await expect(page.locator('#start-blocker')).toHaveText('Fix 1 problem in the configuration first');
    // The memory estimate waits for a valid config: no "NaN GiB", no second alert away from the field.
    await expect(page.getByTestId('memory-estimate')).toHaveCount(0);
    await input.fill(before);
    await expect(page.getByTestId('memory-estimate')).toContainText(/Memory per training step: about \d+\.\d\d GiB/);
    await expect(page.getByTestId('start')).toBeEnabled();
  }
  expect(errors).toEqual([]);
});

test('a stored invalid config falls back to its preset with a message', async ({ page }) => {
  const errors = collectErrors(page);
  await page.addInitScript(() => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    const bad = { preset: 'nano', tab: 'train', config: { train: { epochs: 0, warmupEpochs: -1 } } };
    localStorage.setItem('dinolab.settings.v1', JSON.stringify(bad));
  });
  await openApp(page);
  await expect(page.getByRole('status').or(page.getByRole('alert')).filter({ hasText: 'The stored configuration could not be used' })).toBeVisible();
  await expect(page.getByLabel('Epochs', { exact: true })).toHaveValue('20');
  await expect(page.getByLabel('Schedules')).toBeVisible();
  expect(errors).toEqual([]);
});

test('a view that fails shows what failed and a reset for that view, and the rest of the page stays', async ({ page }) => {
  await openTrain(page);
  // Break only the schedules' data, as a bug in that view would.
  await page.evaluate(() => {
    const store = (window as unknown as { dinolab: { store: { setState(p: object): void } } }).dinolab.store;
    store.setState({ plannedSchedules: { lr: null, wd: null, momentum: null, teacherTemp: null, stepsPerEpoch: 1 } });
  });
  const failed = page.getByTestId('view-failed');
  await expect(failed).toContainText('The schedules view failed.');
  await expect(page.getByRole('heading', { level: 1 })).toContainText('dinolab');
  await expect(page.getByLabel('Epochs', { exact: true })).toBeVisible();
  await expect(page.getByTestId('start')).toBeEnabled();
  await page.evaluate(() => {
    const store = (window as unknown as { dinolab: { store: { setState(p: object): void } } }).dinolab.store;
    store.setState({ plannedSchedules: null });
  });
  await failed.getByRole('button', { name: 'Reset the configuration to its preset' }).click();
  await expect(failed).toHaveCount(0);
  await expect(page.getByLabel('Schedules').locator('path[data-series]').first()).toBeAttached();
});

test('a problem outside the augmentation is named by its field label in the augmentation preview, not as a config path', async ({ page }) => {
  const errors = collectErrors(page);
  await openTrain(page);
  await page.getByLabel('Teacher temperature', { exact: true }).fill('0');
  await expect(field(page, 'train.teacherTemp').locator('.field-error')).toHaveText('must be in [0.001, 10], got 0');
  await page.getByRole('tab', { name: 'Augmentations' }).click();
  const preview = page.getByLabel('Augmentation preview');
  await preview.getByRole('combobox', { name: 'Image to augment' }).selectOption({ index: 1 });
  await expect(preview.locator('.field-error')).toHaveText('Fix Teacher temperature to draw crops');
  // The message belongs beside its field: nothing on the page speaks of the path.
  await expect(page.getByText('train.teacherTemp')).toHaveCount(0);
  await page.getByLabel('Teacher temperature', { exact: true }).fill('0.04');
  await preview.getByRole('button', { name: 'Random' }).click();
  await expect(preview.getByTestId('crops').locator('canvas').first()).toBeVisible();
  expect(errors).toEqual([]);
});

test('the schedule charts draw the plan the worker sends for the form, and the values the metric rows report', async ({ page }) => {
  const errors = collectErrors(page);
  await openTrain(page);
  const lr = page.getByRole('img', { name: 'Learning rate chart' });
  // nano on the 2004 demo images: 125 steps per epoch, 20 epochs.
  await expect(lr).toHaveAccessibleDescription(/^planned 1e-6 at step 2,499 .*; applied: no values yet$/);
  await page.getByLabel('Epochs', { exact: true }).fill('10');
  await expect(lr).toHaveAccessibleDescription(/^planned 1e-6 at step 1,249 /);
  // What the run applied is what its metric rows say, even where it differs from the plan.
  await page.evaluate(() => {
    const store = (window as unknown as { dinolab: { store: { getState(): { appendMetrics(rows: object[]): void } } } }).dinolab.store;
    const row = { epoch: 0, loss: 5, teacherEntropy: 5, kl: 0, centerNorm: 0, wd: 0.04, momentum: 0.996, teacherTemp: 0.04, msPerStep: 1, imagesPerSec: 1, numTensors: 0, numBytes: 0 };
    store.getState().appendMetrics([{ ...row, step: 0, lr: 0.5 }, { ...row, step: 1, lr: 0.25 }]);
  });
  await expect(lr).toHaveAccessibleDescription(/; applied 2\.5e-1 at step 1 \(range 2\.5e-1 to 5e-1\)$/);
  expect(errors).toEqual([]);
});
