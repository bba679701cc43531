/**
 * Start-up: restore settings, start the worker with the chosen backend, feed it the stored
 * dataset (or load the demo on a first visit), and keep settings saved as they change.
 */
import { restoreDataset } from '../data/dataset-actions';
import { demoImportInterrupted, loadDemo } from '../data/demo';
import { loadSettings, persistable, saveSettings } from '../store/settings';
import { applySettings, settingsOf, useStore } from '../store';
import { client } from '../worker/worker-client';

/**
 * A handle for automation and the browser console (`window.dinolab`): the store and the worker
 * client, the same objects the UI uses. End-to-end tests use it to check numbers behind the pictures.
 */
function exposeHandle(): void {
  (globalThis as unknown as { dinolab?: unknown }).dinolab = { store: useStore, client };
}

export async function start(): Promise<void> {
  exposeHandle();
  const loaded = loadSettings();
  applySettings(loaded.settings);
  for (const notice of loaded.notices) useStore.getState().pushToast('error', notice);
  let stored = loaded.settings;
  let saved = JSON.stringify(stored);
  useStore.subscribe((s) => {
    const next = persistable(settingsOf(s), stored);
    const text = JSON.stringify(next);
    if (text !== saved) {
      saved = text;
      stored = next;
      saveSettings(next);
    }
  });
  client.send({ type: 'init', backend: useStore.getState().backendChoice });
  try {
    if (await restoreDataset()) await loadDemo();
    else if (demoImportInterrupted()) {
      useStore.getState().pushToast('info', `The demo import was interrupted (${useStore.getState().images.length} images arrived); it is resumed now.`);
      await loadDemo();
    }
  } catch (e) {
    useStore.getState().setDatasetReady();
    useStore.getState().pushToast('error', `Could not read the stored dataset: ${(e as Error).message}`);
  }
}
