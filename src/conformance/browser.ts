/** Page side of the in-browser conformance run: starts the worker and shows its lines. */
import type { CheckResult } from './compare';
import { formatCheck } from './compare';

const params = new URLSearchParams(location.search);
const worker = new Worker(new URL('./browser-worker.ts', import.meta.url), { type: 'module' });
const out = document.getElementById('out')!;
const w = window as unknown as { __conformance?: { backend: string; results: CheckResult[]; error?: string } };

worker.onmessage = (ev: MessageEvent<{ backend: string; results: CheckResult[]; error?: string }>) => {
  w.__conformance = ev.data;
  out.textContent = ev.data.error
    ? `error: ${ev.data.error}`
    : `backend ${ev.data.backend}\n${ev.data.results.map(formatCheck).join('\n')}`;
};
worker.postMessage({ caseName: params.get('case') ?? 'vit-p8-tiny', backend: params.get('backend') ?? 'webgpu', only: params.get('only') });
