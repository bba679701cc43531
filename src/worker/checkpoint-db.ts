/**
 * The run's latest good checkpoint in IndexedDB, so a reload resumes the same run. Only checkpoints
 * whose metrics were all finite are written, so the stored one is always safe to roll back to.
 */
import { openDB, type IDBPDatabase } from 'idb';

const DB_NAME = 'dinolab-runs';
const STORE = 'checkpoints';
const KEY = 'latest';

let db: Promise<IDBPDatabase> | null = null;

function open(): Promise<IDBPDatabase> {
  db ??= openDB(DB_NAME, 1, {
    upgrade(d) {
      d.createObjectStore(STORE);
    },
  });
  return db;
}

function hasIndexedDB(): boolean {
  return typeof indexedDB !== 'undefined';
}

/**
 * Resolves only once the transaction has committed to disk (strict durability), so a reload right
 * after a pause finds the checkpoint: a plain `put` resolves on request success, before the commit,
 * and a worker torn down in between loses the write.
 */
export async function storeCheckpoint(bytes: Uint8Array): Promise<void> {
  if (!hasIndexedDB()) return;
  const tx = (await open()).transaction(STORE, 'readwrite', { durability: 'strict' });
  await Promise.all([tx.store.put(bytes, KEY), tx.done]);
}

export async function loadStoredCheckpoint(): Promise<Uint8Array | null> {
  if (!hasIndexedDB()) return null;
  const v = await (await open()).get(STORE, KEY);
  return v instanceof Uint8Array ? v : null;
}

export async function clearStoredCheckpoint(): Promise<void> {
  if (!hasIndexedDB()) return;
  await (await open()).delete(STORE, KEY);
}
