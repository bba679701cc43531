/// <reference types="vitest/config" />
import { defineConfig, type Plugin } from 'vite';
import react from '@vitejs/plugin-react';
import { contentSecurityPolicy } from './src/shared/csp.js';

// Cross-origin isolation lets the wasm backend use threads (SharedArrayBuffer); it must be set
// on every server that serves the app: dev, preview and any static host.
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The built app's Content-Security-Policy (src/shared/csp.ts): a header from `vite preview`, and a
// meta tag in every built page for static hosts. Build only: the dev server needs inline scripts.
const csp = contentSecurityPolicy();
const cspMeta: Plugin = {
  name: 'dinolab-csp-meta',
  apply: 'build',
  transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: csp }, injectTo: 'head-prepend' }],
};

// A unit test compares the kernels' opt-in relaxed-SIMD build with the plain one (src/engine/kernels/
// wasm-kernels.ts). Node 20 validates relaxed SIMD only behind a V8 flag: this 37-byte module (one
// f32x4.relaxed_madd) tells whether the flag is needed.
const relaxedProbe = Uint8Array.from(Buffer.from('0061736d010000000108016003' + '7b7b7b017b030201000a0d010b00200020012002fd85020b', 'hex'));
const relaxedSimdArgs = WebAssembly.validate(relaxedProbe) ? [] : ['--experimental-wasm-relaxed-simd'];

export default defineConfig({
  plugins: [react(), cspMeta],
  server: { headers: isolation, port: 5173, strictPort: true },
  preview: { headers: { ...isolation, 'Content-Security-Policy': csp }, port: 5173, strictPort: true },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // Minified identifiers break the pthread workers of the threaded tfjs wasm build
    // ("ReferenceError: e is not defined" inside their blob scripts), so the bundle is not minified.
    minify: false,
    chunkSizeWarningLimit: 12000,
    rollupOptions: {
      // The app, plus two test pages: the golden conformance checks on browser backends, and a
      // harness that drives the training worker directly (e2e).
      input: { main: 'index.html', conformance: 'src/conformance/browser.html', harness: 'src/worker/harness.html' },
    },
  },
  optimizeDeps: {
    // The dev server must pre-bundle tfjs-backend-wasm: its wasm-out/*.js files are CommonJS, and
    // served raw they fail as ES modules ("does not provide an export named wasmWorkerContents"),
    // which kills the worker before its first message. The worker's dependencies are listed because
    // the dependency scan does not follow `new Worker(new URL(...))`: found late, they would make
    // the dev server re-optimise and reload the page.
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'fflate', 'idb'],
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    execArgv: relaxedSimdArgs,
  },
});
