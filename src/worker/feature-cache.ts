/**
 * Features already computed, kept in IndexedDB under (weights, image, transform) keys, so a second
 * look at the same images with the same weights costs nothing. Without IndexedDB (Node tests) the
 * cache is absent and every feature is computed.
 */
import { openDB, type IDBPDatabase } from 'idb';
import type { FeatureCache } from '../engine/eval/features';

const DB_NAME = 'dinolab-features';
const STORE = 'features';

let db: Promise<IDBPDatabase> | null = null;

function open(): Promise<IDBPDatabase> {
  db ??= openDB(DB_NAME, 1, {
    upgrade(d) {
      d.createObjectStore(STORE);
    },
  });
  return db;
}

export function indexedDbFeatureCache(): FeatureCache | undefined {
  if (typeof indexedDB === 'undefined') return undefined;
  return {
    async get(keys) {
      const tx = (await open()).transaction(STORE, 'readonly');
      const out = await Promise.all(keys.map((k) => tx.store.get(k)));
      await tx.done;
      return out.map((v) => (v instanceof Float32Array ? v : undefined));
    },
    async put(entries) {
      const tx = (await open()).transaction(STORE, 'readwrite');
      await Promise.all([...entries.map(([k, v]) => tx.store.put(v, k)), tx.done]);
    },
  };
}
