/**
 * The dataset in IndexedDB, so it survives reloads. Two stores: `meta` (small: what the gallery
 * needs, with a thumbnail) read whole at start-up, and `pixels` (RGB bytes) read in chunks to feed
 * the worker and on demand for one image.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';

export interface StoredMeta {
  id: string;
  name: string;
  label: string | null;
  width: number;
  height: number;
  /** Small JPEG/PNG for the gallery. */
  thumb: Blob;
  /** Insertion order. */
  seq: number;
}

export interface StoredImage extends Omit<StoredMeta, 'seq'> {
  /** width * height * 3 RGB bytes. */
  pixels: Uint8Array;
}

interface DatasetDB extends DBSchema {
  meta: { key: string; value: StoredMeta; indexes: { bySeq: number } };
  pixels: { key: string; value: { id: string; pixels: Uint8Array } };
}

let dbPromise: Promise<IDBPDatabase<DatasetDB>> | null = null;

function db(): Promise<IDBPDatabase<DatasetDB>> {
  dbPromise ??= openDB<DatasetDB>('dinolab-dataset', 1, {
    upgrade(d) {
      d.createObjectStore('meta', { keyPath: 'id' }).createIndex('bySeq', 'seq');
      d.createObjectStore('pixels', { keyPath: 'id' });
    },
  });
  return dbPromise;
}

let seq = Date.now();

/** Store images (replacing any with the same id) in one transaction. */
export async function putImages(images: StoredImage[]): Promise<void> {
  const d = await db();
  const tx = d.transaction(['meta', 'pixels'], 'readwrite');
  for (const { pixels, ...meta } of images) {
    void tx.objectStore('meta').put({ ...meta, seq: seq++ });
    void tx.objectStore('pixels').put({ id: meta.id, pixels });
  }
  await tx.done;
}

/** Every image's metadata in insertion order. */
export async function readAllMeta(): Promise<StoredMeta[]> {
  return (await db()).getAllFromIndex('meta', 'bySeq');
}

export async function readPixels(id: string): Promise<Uint8Array | undefined> {
  return (await (await db()).get('pixels', id))?.pixels;
}

/** Pixels of the given ids (missing ones skipped), in one transaction. */
export async function readPixelsMany(ids: string[]): Promise<Map<string, Uint8Array>> {
  const tx = (await db()).transaction('pixels');
  const rows = await Promise.all(ids.map((id) => tx.store.get(id)));
  await tx.done;
  return new Map(rows.filter((r) => r !== undefined).map((r) => [r.id, r.pixels]));
}

export async function deleteImages(ids: string[]): Promise<void> {
  const tx = (await db()).transaction(['meta', 'pixels'], 'readwrite');
  for (const id of ids) {
    void tx.objectStore('meta').delete(id);
    void tx.objectStore('pixels').delete(id);
  }
  await tx.done;
}

export async function clearDataset(): Promise<void> {
  const tx = (await db()).transaction(['meta', 'pixels'], 'readwrite');
  void tx.objectStore('meta').clear();
  void tx.objectStore('pixels').clear();
  await tx.done;
}
