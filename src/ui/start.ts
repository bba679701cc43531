/**
 * Start-up: restore settings, start the worker with the chosen backend, feed it the stored
 * dataset (or load the demo on a first visit), and keep settings saved as they change.
 */
import { restoreDataset } from './dataset-actions';
import { loadDemo } from './demo';
import { loadSettings, saveSettings } from './settings';
import { applySettings, settingsOf, useStore } from './store';
import { client } from './worker-client';

/**
 * A handle for automation and the browser console (`window.dinolab`): the store and the worker
 * client, the same objects the UI uses. End-to-end tests use it to check numbers behind the pictures.
 */
function exposeHandle(): void {
  (globalThis as unknown as { dinolab?: unknown }).dinolab = { store: useStore, client };
}

export async function start(): Promise<void> {
  exposeHandle();
  applySettings(loadSettings());
  let saved = JSON.stringify(settingsOf(useStore.getState()));
  useStore.subscribe((s) => {
    const next = JSON.stringify(settingsOf(s));
    if (next !== saved) {
      saved = next;
      saveSettings(settingsOf(s));
    }
  });
  client.send({ type: 'init', backend: useStore.getState().backendChoice });
  try {
    if (await restoreDataset()) await loadDemo();
  } catch (e) {
    useStore.getState().setDatasetReady();
    useStore.getState().pushToast('error', `Could not read the stored dataset: ${(e as Error).message}`);
  }
}
