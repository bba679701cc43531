/** Page side of the in-browser conformance run: starts the worker and shows its lines. */
import type { CheckResult } from './compare';
import { formatCheck } from './compare';
import type { Part } from './webgpu-attention';

const params = new URLSearchParams(location.search);
const out = document.getElementById('out')!;
const w = window as unknown as { __conformance?: { backend: string; results: CheckResult[]; error?: string }; __attentionCheck?: unknown };

if (params.get('check') === 'webgpu-attention') {
  // The WebGPU attention kernels against tfjs's composite ops, on this page's thread (e2e/webgpu-attention.spec.ts).
  import('./webgpu-attention')
    .then((m) => m.runWebGPUAttentionCheck((params.get('part') ?? 'kernels') as Part))
    .then(
      (result) => (w.__attentionCheck = { result }),
      (e: Error) => (w.__attentionCheck = { error: e.stack ?? String(e) }),
    )
    .then(() => (out.textContent = JSON.stringify(w.__attentionCheck, null, 1)));
} else {
  const worker = new Worker(new URL('./browser-worker.ts', import.meta.url), { type: 'module' });
  worker.onmessage = (ev: MessageEvent<{ backend: string; results: CheckResult[]; error?: string }>) => {
    w.__conformance = ev.data;
    out.textContent = ev.data.error
      ? `error: ${ev.data.error}`
      : `backend ${ev.data.backend}\n${ev.data.results.map(formatCheck).join('\n')}`;
  };
  worker.postMessage({ caseName: params.get('case') ?? 'vit-p8-tiny', backend: params.get('backend') ?? 'webgpu', only: params.get('only') });
}
