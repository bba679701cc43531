/** Choosing the image to inspect and asking the worker for its attention maps. */
import type { ImagePixels } from '../../shared/protocol';
import { attentionSize } from './attention-view';
import { readPixels } from '../data/dataset-db';
import { decodeImage } from '../data/image-decode';
import { ImageImportError } from '../data/image-header';
import { useStore } from '../store';
import { client } from '../worker/worker-client';

/** Images dropped only for inspection keep more detail than dataset images. */
const INSPECT_MAX_SIDE = 512;

let latest = 0;

/** Patch size of the model the worker will use: the loaded weights' if any, else the config's. */
export function modelPatch(): number {
  const s = useStore.getState();
  return s.weightsReport?.arch.patchSize ?? s.configured?.config.model.patchSize ?? s.config.model.patchSize;
}

export async function inspectDatasetImage(id: string): Promise<void> {
  const s = useStore.getState();
  const meta = s.images.find((m) => m.id === id);
  const pixels = await readPixels(id);
  if (!meta || !pixels) {
    s.pushToast('error', 'That image is no longer in the dataset');
    return;
  }
  s.setAttentionSource({ id, name: meta.name, image: { width: meta.width, height: meta.height, pixels } });
  await requestAttention();
}

export async function inspectFile(file: File): Promise<void> {
  const s = useStore.getState();
  try {
    const { width, height, pixels } = await decodeImage(file, INSPECT_MAX_SIDE);
    s.setAttentionSource({ id: null, name: file.name, image: { width, height, pixels } });
  } catch (e) {
    s.pushToast('error', `${file.name}: ${e instanceof ImageImportError ? e.reason : 'could not be decoded'}`);
    return;
  }
  await requestAttention();
}

/** Ask for the maps of the current source and settings; a newer request supersedes older ones. */
export async function requestAttention(): Promise<void> {
  const s = useStore.getState();
  const src = s.attentionSource;
  if (!src) return;
  const st = s.attentionSettings;
  const id = ++latest;
  const image: ImagePixels = { ...src.image, pixels: src.image.pixels.slice() }; // the copy is transferred
  s.setAttentionPending(true);
  try {
    const r = await client.request<'attention'>({
      type: 'attention',
      request: {
        image,
        size: attentionSize(src.image.width, src.image.height, st.resolution, st.aspect, modelPatch()),
        network: st.network,
        block: st.block,
        query: s.attentionQuery,
      },
    });
    if (id === latest) {
      s.setAttentionResult(r.result);
      s.setAttentionPending(false);
    }
  } catch (e) {
    if (id === latest) s.setAttentionPending(false, (e as Error).message);
  }
}

