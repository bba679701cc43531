/**
 * The same engine code, in a Web Worker in Chromium, against the official DINO golden numbers:
 * WebGPU (SwiftShader here, so the README's GPU tolerances) and wasm (reference tolerances).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { goldenCases } from './helpers';

const cases = goldenCases();

test('golden cases exist', () => {
  expect(cases.length).toBeGreaterThan(0);
});

for (const { name: caseName, dir } of cases) {
  for (const backend of ['webgpu', 'wasm']) {
    test(`conformance ${caseName} on ${backend} in the browser`, async ({ page }) => {
      await page.route('**/golden/**', (route) => {
        const rel = decodeURIComponent(new URL(route.request().url()).pathname.replace(/^\/golden\//, ''));
        if (!rel.startsWith(`${caseName}/`)) return route.fulfill({ status: 404 });
        const file = path.join(dir, rel.slice(caseName.length + 1));
        if (!file.startsWith(dir + path.sep) || !existsSync(file)) return route.fulfill({ status: 404 });
        return route.fulfill({ status: 200, body: readFileSync(file), headers: { 'Content-Type': 'application/octet-stream', 'Cross-Origin-Resource-Policy': 'same-origin' } });
      });
      await page.goto(`/src/conformance/browser.html?case=${caseName}&backend=${backend}`);
      const handle = await page.waitForFunction(() => (window as unknown as { __conformance?: unknown }).__conformance, undefined, { timeout: 240_000 });
      const res = (await handle.jsonValue()) as { backend: string; error?: string; results: { group: string; name: string; pass: boolean; maxAbs: number }[] };
      expect(res.error).toBeUndefined();
      expect(res.backend).toBe(backend);
      const failed = res.results.filter((r) => !r.pass).map((r) => `${r.group}/${r.name} (max abs ${r.maxAbs})`);
      console.log(`${caseName} on ${backend}: ${res.results.length} checks, ${failed.length} failed`);
      expect(res.results.length).toBeGreaterThan(40);
      expect(failed).toEqual([]);
    });
  }
}
