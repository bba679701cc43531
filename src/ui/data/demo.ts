/**
 * The built-in demo dataset: four photos (scikit-image samples, for the attention inspector) and a
 * labelled Fashion-MNIST subset (28 x 28 grayscale, replicated to RGB, class names as labels).
 */
import type { ImagePixels } from '../../shared/protocol';
import { addRecords, forgetDemoDismissal, yieldToPage } from './dataset-actions';
import type { StoredImage } from './dataset-db';
import { decodeImage, thumbnailOfPixels } from './image-decode';
import { useStore } from '../store';

const base = import.meta.env.BASE_URL;
export const SAMPLE_PHOTOS = ['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg'];
export const SAMPLES_CREDITS_URL = `${base}samples/SOURCES.md`;
const FASHION = `${base}demo/fashion-mnist/`;

export interface FashionMeta {
  count: number;
  width: number;
  height: number;
  channels: 1;
  classes: string[];
}

/** Checks meta.json; throws naming what is wrong. */
export function parseFashionMeta(json: unknown): FashionMeta {
  const m = json as Partial<FashionMeta> | null;
  if (!m || typeof m !== 'object') throw new Error('meta.json is not an object');
  if (!Number.isInteger(m.count) || m.count! < 1) throw new Error(`meta.json: count must be a positive integer, got ${m.count}`);
  if (!Number.isInteger(m.width) || !Number.isInteger(m.height)) throw new Error('meta.json: width and height must be integers');
  if (m.channels !== 1) throw new Error(`meta.json: expected 1 channel, got ${m.channels}`);
  if (!Array.isArray(m.classes) || m.classes.some((c) => typeof c !== 'string')) throw new Error('meta.json: classes must be a list of names');
  return m as FashionMeta;
}

/** Image i of a grayscale block (n * w * h bytes) as RGB (the grey value in all three channels). */
export function grayToRgb(gray: Uint8Array, index: number, width: number, height: number): Uint8Array {
  const n = width * height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const v = gray[index * n + i];
    out[i * 3] = v;
    out[i * 3 + 1] = v;
    out[i * 3 + 2] = v;
  }
  return out;
}

async function fetchOk(url: string): Promise<Response> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res;
}

async function loadPhotos(): Promise<StoredImage[]> {
  return Promise.all(
    SAMPLE_PHOTOS.map(async (file) => {
      const decoded = await decodeImage(await (await fetchOk(`${base}samples/${file}`)).blob());
      return { id: `demo-photo-${file}`, name: file, label: null, ...decoded };
    }),
  );
}

async function loadFashion(onProgress: (done: number, total: number) => void): Promise<void> {
  const meta = parseFashionMeta(await (await fetchOk(`${FASHION}meta.json`)).json());
  const [images, labels] = await Promise.all([
    fetchOk(`${FASHION}images.u8`).then((r) => r.arrayBuffer()),
    fetchOk(`${FASHION}labels.u8`).then((r) => r.arrayBuffer()),
  ]);
  const gray = new Uint8Array(images);
  const classOf = new Uint8Array(labels);
  const n = meta.width * meta.height;
  if (gray.length !== meta.count * n || classOf.length !== meta.count) {
    throw new Error(`Fashion-MNIST files do not match meta.json (${meta.count} images of ${meta.width}x${meta.height})`);
  }
  const CHUNK = 100;
  for (let i = 0; i < meta.count; i += CHUNK) {
    onProgress(i, meta.count);
    const records: StoredImage[] = [];
    for (let k = i; k < Math.min(meta.count, i + CHUNK); k++) {
      const image: ImagePixels = { width: meta.width, height: meta.height, pixels: grayToRgb(gray, k, meta.width, meta.height) };
      const label = meta.classes[classOf[k]] ?? `class ${classOf[k]}`;
      records.push({ id: `demo-fmnist-${k}`, name: `fashion-mnist #${k}`, label, ...image, thumb: await thumbnailOfPixels(image) });
    }
    await addRecords(records);
    await yieldToPage();
  }
}

/** Set while the demo is being imported: still set at start-up means the page was closed (or
 *  reloaded) part-way, and the import is run again. */
const DEMO_PENDING_KEY = 'dinolab.demoImportPending';

export function demoImportInterrupted(storage: Pick<Storage, 'getItem'> = localStorage): boolean {
  try {
    return storage.getItem(DEMO_PENDING_KEY) !== null;
  } catch {
    return false;
  }
}

function markDemoImport(pending: boolean, storage: Pick<Storage, 'setItem' | 'removeItem'> = localStorage): void {
  try {
    if (pending) storage.setItem(DEMO_PENDING_KEY, String(Date.now()));
    else storage.removeItem(DEMO_PENDING_KEY);
  } catch {
    // Storage disabled: an interrupted import is then only visible in the image count.
  }
}

/** (Re)load the demo: ids are fixed, so loading twice (or again after an interruption) replaces
 *  instead of duplicating. */
export async function loadDemo(): Promise<void> {
  const s = useStore.getState();
  forgetDemoDismissal();
  markDemoImport(true);
  const problems: string[] = [];
  s.setImportProgress({ done: 0, total: SAMPLE_PHOTOS.length, what: 'demo photos' });
  try {
    await addRecords(await loadPhotos());
  } catch (e) {
    problems.push(`sample photos (${(e as Error).message})`);
  }
  try {
    await loadFashion((done, total) => s.setImportProgress({ done, total, what: 'Fashion-MNIST demo' }));
  } catch (e) {
    problems.push(`Fashion-MNIST subset (${(e as Error).message})`);
  } finally {
    s.setImportProgress(null);
  }
  markDemoImport(false);
  if (problems.length > 0) s.pushToast('error', `Could not load the demo ${problems.join(' and the ')}`);
}
