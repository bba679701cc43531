/**
 * Nothing leaves the page, nothing foreign runs in it. The built app is served with its
 * Content-Security-Policy (src/shared/csp.ts) as a header and as a meta tag; an inline script,
 * eval and a fetch to another origin are blocked, and a whole use of the app (demo import, dropped
 * photo, a training step, attention, export, weights from the Hub) makes no request to any origin
 * but its own and the (stubbed) Hub, and trips no policy.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { contentSecurityPolicy } from '../src/shared/csp';
import { collectErrors, dropFiles, goldenCases, imageCount, openApp, sample, trainOneStep, waitForDemo } from './helpers';

interface Violation {
  directive: string;
  blocked: string;
}

/** Records every securitypolicyviolation the page reports, from before its first script. */
async function recordViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __violations: { directive: string; blocked: string }[] };
    w.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => w.__violations.push({ directive: e.effectiveDirective, blocked: e.blockedURI }));
  });
}

const violations = (page: Page) => page.evaluate(() => (window as unknown as { __violations: Violation[] }).__violations);

test('the built app is served with its Content-Security-Policy, which blocks inline script, eval and other origins', async ({ page }) => {
  await recordViolations(page);
  const res = await page.goto('/');
  expect(res?.headers()['content-security-policy']).toBe(contentSecurityPolicy());
  await expect(page.locator('meta[http-equiv="Content-Security-Policy"]')).toHaveAttribute('content', contentSecurityPolicy());
  await waitForDemo(page);

  const outcome = await page.evaluate(async () => {
    const w = window as unknown as { __inlineRan?: boolean };
    const s = document.createElement('script');
    s.textContent = 'window.__inlineRan = true';
    document.head.appendChild(s);
    // Code evaluated by the test harness is exempt from the page's policy, so eval is tried where
    // page code runs: a worker, which inherits the policy of the page that made it.
    const source = "try { eval('1 + 1'); postMessage('ran') } catch (e) { postMessage(e.name) }";
    const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
    const evalBlocked = (await new Promise((r) => (worker.onmessage = (e) => r(e.data)))) === 'EvalError';
    worker.terminate();
    let fetchBlocked = false;
    try {
      await fetch('https://example.com/exfiltrate');
    } catch {
      fetchBlocked = true;
    }
    return { inlineRan: w.__inlineRan === true, evalBlocked, fetchBlocked };
  });
  expect(outcome).toEqual({ inlineRan: false, evalBlocked: true, fetchBlocked: true });
  await expect.poll(() => violations(page)).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ directive: 'script-src-elem', blocked: 'inline' }),
      expect.objectContaining({ directive: 'connect-src', blocked: 'https://example.com/exfiltrate' }),
    ]),
  );
});

test('a whole use of the app under the policy: every request goes to the app or the stubbed Hub, no violation', async ({ page, context, baseURL }) => {
  const app = new URL(baseURL!).origin;
  const requests: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  await recordViolations(page);
  const errors = collectErrors(page);

  // The Hub, played by the golden case's Hugging Face-layout weights (no internet here).
  const golden = goldenCases()[0];
  const m = JSON.parse(readFileSync(path.join(golden.dir, 'manifest.json'), 'utf8')).config;
  const cors = { 'Access-Control-Allow-Origin': '*', 'Cross-Origin-Resource-Policy': 'cross-origin' };
  await page.route('https://huggingface.co/**', (route) => {
    const url = route.request().url();
    if (url.endsWith('/config.json')) {
      const config = { model_type: 'vit', num_attention_heads: m.num_heads, patch_size: m.patch_size, hidden_size: m.embed_dim, num_hidden_layers: m.depth };
      return route.fulfill({ status: 200, body: JSON.stringify(config), headers: { ...cors, 'Content-Type': 'application/json' } });
    }
    return route.fulfill({ status: 200, body: readFileSync(path.join(golden.dir, 'backbone_hf.safetensors')), headers: cors });
  });

  await openApp(page);
  const before = await waitForDemo(page);
  await dropFiles(page, page.getByTestId('dropzone'), [sample('chelsea.png', 'image/png')]);
  await expect.poll(() => imageCount(page)).toBe(before + 1);

  await trainOneStep(page);
  await page.getByRole('tab', { name: 'Attention' }).click();
  await page.getByRole('button', { name: 'chelsea' }).first().click();
  await expect(page.getByTestId('heatmap-grid')).toBeVisible({ timeout: 120_000 });

  await page.getByRole('tab', { name: 'Export' }).click();
  const [dl] = await Promise.all([
    page.waitForEvent('download', { timeout: 120_000 }),
    page.getByRole('button', { name: 'Official checkpoint (.pth)' }).click(),
  ]);
  expect((await dl.path()) !== null).toBe(true);

  await page.getByRole('tab', { name: 'Weights' }).click();
  await page.getByLabel('Hugging Face model').fill('golden/dino-test');
  await page.getByRole('button', { name: 'Download' }).click();
  await expect(page.getByTestId('weights-report')).toContainText('huggingface', { timeout: 60_000 });

  const foreign = requests.filter((u) => {
    const { protocol, origin } = new URL(u);
    return !(origin === app || protocol === 'blob:' || protocol === 'data:' || origin === 'https://huggingface.co');
  });
  console.log(`${requests.length} requests: ${new Set(requests.map((u) => new URL(u).origin)).size} origins (${[...new Set(requests.map((u) => new URL(u).origin))].join(', ')})`);
  expect(foreign).toEqual([]);
  expect(requests.filter((u) => u.startsWith('https://huggingface.co/')).length).toBe(2);
  expect(await violations(page)).toEqual([]);
  expect(errors).toEqual([]);
});
