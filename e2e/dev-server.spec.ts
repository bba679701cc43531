/**
 * The README's quick start: `npm run dev` (Vite's dev server, which serves the sources unbundled)
 * must start the training worker, not only the production build the other specs drive. This spec
 * starts the dev server itself, on its own port, so it does not meet the preview server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from '@playwright/test';
import { collectErrors } from './helpers';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = 5174;

/** Runs `npm run dev` on PORT and resolves once Vite prints its local URL. */
function startDevServer(): Promise<{ server: ChildProcess; url: string }> {
  const server = spawn('npm', ['run', 'dev', '--', '--host', '127.0.0.1', '--port', String(PORT), '--strictPort'], {
    cwd: root,
    detached: true, // its own process group, so the whole tree (npm, vite) stops together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`the dev server did not start in 60 s:\n${log}`)), 60_000);
    const read = (chunk: Buffer) => {
      log += chunk.toString();
      const url = /Local:\s+(http:\/\/127\.0\.0\.1:\d+\/)/.exec(log.replace(/\x1b\[[0-9;]*m/g, ''))?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ server, url });
      }
    };
    server.stdout!.on('data', read);
    server.stderr!.on('data', read);
    server.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the dev server exited with ${code}:\n${log}`));
    });
  });
}

test('npm run dev: the page starts the training worker and reports its backend', async ({ page }) => {
  test.setTimeout(240_000);
  const { server, url } = await startDevServer();
  try {
    const errors = collectErrors(page);
    await page.goto(url);
    await expect(page.getByRole('heading', { level: 1 })).toContainText('dinolab');
    // The badge names the backend once the worker has loaded tfjs and chosen one.
    await expect(page.getByTestId('backend-badge').locator('b')).toHaveText(/^(webgpu|wasm|webgl|cpu)$/, { timeout: 180_000 });
    await expect(page.getByText(/training worker failed to start/)).toHaveCount(0);
    expect(errors.filter((e) => !/\[vite\]/.test(e))).toEqual([]);
  } finally {
    process.kill(-server.pid!, 'SIGTERM');
  }
});
