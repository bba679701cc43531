/**
 * Dataset side effects: walking dropped folders, importing files in chunks (decode -> IndexedDB ->
 * gallery -> worker) without freezing the page, removing and clearing, and feeding the stored
 * dataset to the worker at start-up.
 */
import type { DatasetImage } from '../../shared/protocol';
import { clearDataset, deleteImages, putImages, readAllMeta, readPixelsMany, type StoredImage } from './dataset-db';
import { classifyFile, isSystemFile, labelFromPath, skipMessage, UNDECODABLE } from './file-types';
import { decodeImage } from './image-decode';
import { ImageImportError } from './image-header';
import { useStore } from '../store';
import type { ImageMeta } from '../store/dataset';
import { forgetThumb, setThumb } from './thumbs';
import { client } from '../worker/worker-client';

/** A file plus its path inside a dropped or picked folder ("cats/a.jpg"), for the label. */
export interface Incoming {
  file: File;
  path: string;
}

/** Images decoded per chunk before the page gets a turn. */
const CHUNK = 16;
/** Images per `loadImages` message when feeding the stored dataset to the worker. */
const FEED_CHUNK = 256;

export const yieldToPage = () => new Promise<void>((r) => setTimeout(r, 0));

// ---------------------------------------------------------------------------------------------
// Collecting files

function readEntries(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  return new Promise((resolve, reject) => reader.readEntries(resolve, reject));
}

async function walk(entry: FileSystemEntry, out: Incoming[]): Promise<void> {
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ file, path: entry.fullPath });
  } else if (entry.isDirectory) {
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries returns at most ~100 entries per call: read until it returns none.
    for (let batch = await readEntries(reader); batch.length > 0; batch = await readEntries(reader)) {
      for (const child of batch) await walk(child, out);
    }
  }
}

/** Files and whole folders of a drop. Entries must be taken before the event handler returns. */
export async function collectDropped(dt: DataTransfer): Promise<Incoming[]> {
  const entries: FileSystemEntry[] = [];
  const loose: File[] = [];
  for (const item of Array.from(dt.items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    if (entry) entries.push(entry);
    else {
      const f = item.getAsFile();
      if (f) loose.push(f);
    }
  }
  if (entries.length === 0 && loose.length === 0) loose.push(...Array.from(dt.files));
  const out: Incoming[] = loose.map((file) => ({ file, path: file.name }));
  for (const e of entries) await walk(e, out);
  return out;
}

/** Files of an <input type=file> (with webkitdirectory the relative path gives the label). */
export function fromFileList(list: FileList): Incoming[] {
  return Array.from(list).map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

// ---------------------------------------------------------------------------------------------
// Importing

let importChain: Promise<void> = Promise.resolve();
let cancelRequested = false;

export function cancelImport(): void {
  cancelRequested = true;
}

/** Queue an import: imports run one after another. */
export function importFiles(incoming: Incoming[]): Promise<void> {
  importChain = importChain.then(() => runImport(incoming)).catch((e: Error) => {
    useStore.getState().pushToast('error', `Import failed: ${e.message}`);
  });
  return importChain;
}

/** Store records, show them, and hand them to the worker (pixels transferred after storing). */
export async function addRecords(records: StoredImage[]): Promise<void> {
  if (records.length === 0) return;
  await putImages(records);
  for (const r of records) setThumb(r.id, r.thumb);
  useStore.getState().addImages(records.map(metaOf));
  client.send({ type: 'loadImages', replace: false, images: records.map(toDatasetImage) });
}

const metaOf = (r: StoredImage): ImageMeta => ({ id: r.id, name: r.name, label: r.label, width: r.width, height: r.height });
const toDatasetImage = (r: StoredImage): DatasetImage => ({ id: r.id, label: r.label, width: r.width, height: r.height, pixels: r.pixels });

async function runImport(incoming: Incoming[]): Promise<void> {
  const s = useStore.getState();
  cancelRequested = false;
  const skipped: string[] = [];
  const accepted: Incoming[] = [];
  for (const item of incoming) {
    if (isSystemFile(item.file.name)) continue;
    const c = classifyFile(item.file.name, item.file.type);
    if (c.ok) accepted.push(item);
    else skipped.push(skipMessage(item.file.name, c.reason));
  }
  if (skipped.length > 0) s.addSkipped(skipped);
  const what = `${accepted.length} image${accepted.length === 1 ? '' : 's'}`;
  let added = 0;
  try {
    for (let i = 0; i < accepted.length && !cancelRequested; i += CHUNK) {
      s.setImportProgress({ done: i, total: accepted.length, what });
      const chunk = accepted.slice(i, i + CHUNK);
      const decoded = await Promise.allSettled(chunk.map((item) => decodeImage(item.file)));
      const records: StoredImage[] = [];
      const undecodable: string[] = [];
      decoded.forEach((d, k) => {
        const { file, path } = chunk[k];
        if (d.status === 'rejected') undecodable.push(skipMessage(file.name, d.reason instanceof ImageImportError ? d.reason.reason : UNDECODABLE));
        else records.push({ id: crypto.randomUUID(), name: file.name, label: labelFromPath(path), ...d.value });
      });
      if (undecodable.length > 0) s.addSkipped(undecodable);
      await addRecords(records);
      added += records.length;
      await yieldToPage();
    }
  } finally {
    s.setImportProgress(null);
  }
  if (cancelRequested) s.pushToast('info', `Import cancelled after ${added} of ${accepted.length} images`);
  else if (accepted.length === 0 && incoming.length > 0) s.pushToast('info', 'Nothing imported: no JPEG, PNG, WebP, GIF or BMP among the files');
}

// ---------------------------------------------------------------------------------------------
// Removing

export async function removeImages(ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await deleteImages(ids);
  ids.forEach(forgetThumb);
  useStore.getState().removeImages(ids);
  client.send({ type: 'removeImages', ids });
}

const DEMO_DISMISSED = 'dinolab.demoDismissed';

export async function clearAllImages(): Promise<void> {
  const ids = useStore.getState().images.map((m) => m.id);
  await clearDataset();
  ids.forEach(forgetThumb);
  useStore.getState().clearImages();
  useStore.getState().clearSkipped();
  client.send({ type: 'loadImages', replace: true, images: [] });
  // An emptied dataset stays empty after a reload: the demo only comes back on request.
  localStorage.setItem(DEMO_DISMISSED, '1');
}

// ---------------------------------------------------------------------------------------------
// Start-up

/**
 * Read the stored dataset into the gallery and stream its pixels to the worker. Returns false
 * when the database was empty and the demo should be offered.
 */
export async function restoreDataset(): Promise<boolean> {
  const s = useStore.getState();
  const metas = await readAllMeta();
  for (const m of metas) setThumb(m.id, m.thumb);
  s.addImages(metas.map(({ id, name, label, width, height }) => ({ id, name, label, width, height })));
  s.setDatasetReady();
  if (metas.length === 0) return localStorage.getItem(DEMO_DISMISSED) === null;
  for (let i = 0; i < metas.length; i += FEED_CHUNK) {
    const chunk = metas.slice(i, i + FEED_CHUNK);
    const pixels = await readPixelsMany(chunk.map((m) => m.id));
    const images: DatasetImage[] = chunk
      .filter((m) => pixels.has(m.id))
      .map((m) => ({ id: m.id, label: m.label, width: m.width, height: m.height, pixels: pixels.get(m.id)! }));
    client.send({ type: 'loadImages', replace: i === 0, images });
    await yieldToPage();
  }
  return false;
}

export function forgetDemoDismissal(): void {
  localStorage.removeItem(DEMO_DISMISSED);
}
