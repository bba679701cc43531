/// <reference lib="webworker" />
/** Runs a golden case on a browser backend (webgpu, webgl, wasm) with the README's GPU tolerances. */
import * as tf from '@tensorflow/tfjs';
import { activateBackend } from '../engine/backend';
import type { BackendName } from '../shared/protocol';
import { wasmPaths } from '../worker/wasm-assets';
import { ALL_GROUPS, runGoldenCase, type CheckGroup } from './golden-case';

const scope = self as unknown as DedicatedWorkerGlobalScope;

scope.onmessage = async (ev: MessageEvent<{ caseName: string; backend: BackendName; only: string | null }>) => {
  const { caseName, backend, only } = ev.data;
  try {
    await activateBackend(backend, { wasmPaths });
    const groups = only ? (only.split(',') as CheckGroup[]) : ALL_GROUPS;
    const results = await runGoldenCase(
      async (name) => {
        const r = await fetch(`/golden/${caseName}/${name}`);
        if (!r.ok) throw new Error(`fetching ${name}: HTTP ${r.status}`);
        return new Uint8Array(await r.arrayBuffer());
      },
      { groups, tolerances: backend === 'cpu' || backend === 'wasm' ? 'reference' : 'gpu' },
    );
    scope.postMessage({ backend: tf.getBackend(), results });
  } catch (e) {
    scope.postMessage({ backend, results: [], error: (e as Error).stack ?? String(e) });
  }
};
