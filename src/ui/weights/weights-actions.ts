/** Loading weights from a dropped file or the Hugging Face Hub, and adopting their architecture. */
import { MAX_HUB_CONFIG_BYTES, fetchWithProgress, hfFileUrl, hfHttpError, parseModelId, readHfConfig } from './huggingface';
import { useStore } from '../store';
import { client } from '../worker/worker-client';

export const WEIGHT_EXTENSIONS = ['.pth', '.pt', '.safetensors', '.ckpt', '.bin'];

/** `numHeads` from a Hub config.json: the weights alone cannot tell heads apart from head width. */
async function sendWeights(fileName: string, bytes: ArrayBuffer, numHeads?: number): Promise<void> {
  const s = useStore.getState();
  s.setWeightsLoading({ what: fileName, loaded: bytes.byteLength, total: bytes.byteLength, phase: 'parse' });
  try {
    const r = await client.request<'loadWeights'>({ type: 'loadWeights', fileName, bytes, numHeads });
    if (r.type === 'weightsLoaded') s.setWeightsReport(r.report);
    else s.pushToast('info', `${fileName} is a dinolab checkpoint: the run was restored at step ${r.step}`);
  } catch (e) {
    s.setWeightsError((e as Error).message);
  } finally {
    s.setWeightsLoading(null);
  }
}

/** Use weights the worker holds back because they contain NaN or ±Inf (the person said so). */
export async function acceptPendingWeights(): Promise<void> {
  const s = useStore.getState();
  try {
    const r = await client.request<'acceptWeights'>({ type: 'acceptWeights' });
    s.setWeightsReport(r.report);
  } catch (e) {
    s.setWeightsError((e as Error).message);
  }
}

/** The last weights file picked, so the loader's question (the number of heads) can be answered. */
let lastFile: File | null = null;

/** `numHeads`: needed when the backbone is not an official ViT-T/S/B shape (the loader asks). */
export async function loadWeightsFile(file: File, numHeads?: number): Promise<void> {
  lastFile = file;
  const s = useStore.getState();
  s.setWeightsError(null);
  if (!WEIGHT_EXTENSIONS.some((ext) => file.name.toLowerCase().endsWith(ext))) {
    s.setWeightsError(`${file.name}: not a weights file (expected .pth or .safetensors)`);
    return;
  }
  await sendWeights(file.name, await file.arrayBuffer(), numHeads);
}

let abort: AbortController | null = null;

export function cancelDownload(): void {
  abort?.abort();
}

export async function loadFromHub(input: string): Promise<void> {
  const s = useStore.getState();
  s.setWeightsError(null);
  const parsed = parseModelId(input);
  if ('error' in parsed) {
    s.setWeightsError(parsed.error);
    return;
  }
  abort = new AbortController();
  const { signal } = abort;
  try {
    s.setWeightsLoading({ what: `${parsed.id}/config.json`, loaded: 0, total: null, phase: 'download' });
    const configBytes = await fetchWithProgress(hfFileUrl(parsed, 'config.json'), () => {}, (st) => hfHttpError(parsed.id, 'config.json', st), signal, MAX_HUB_CONFIG_BYTES);
    let configJson: unknown;
    try {
      configJson = JSON.parse(new TextDecoder().decode(configBytes));
    } catch {
      throw new Error(`${parsed.id}: config.json is not valid JSON`);
    }
    const arch = readHfConfig(parsed.id, configJson);
    const bytes = await fetchWithProgress(
      hfFileUrl(parsed, 'model.safetensors'),
      ({ loaded, total }) => s.setWeightsLoading({ what: `${parsed.id}/model.safetensors`, loaded, total, phase: 'download' }),
      (st) => hfHttpError(parsed.id, 'model.safetensors', st),
      signal,
    );
    await sendWeights(`${parsed.id.replace('/', '__')}.safetensors`, bytes, arch.heads ?? undefined);
  } catch (e) {
    s.setWeightsError((e as Error).message);
    s.setWeightsLoading(null);
  } finally {
    abort = null;
  }
}

/** Make the run's model match the loaded weights. */
export function adoptArchitecture(): void {
  const s = useStore.getState();
  const report = s.weightsReport;
  if (!report) return;
  const model = report.arch;
  s.replaceConfig({ ...s.config, model }, true);
  s.setFromWeights(true);
  s.pushToast('info', `Model set to the loaded architecture (patch ${model.patchSize}, width ${model.embedDim}, depth ${model.depth}, ${model.numHeads} heads)`);
}

/** Load the last file again with the number of heads the person gave. */
export async function reloadWithHeads(numHeads: number): Promise<void> {
  if (lastFile) await loadWeightsFile(lastFile, numHeads);
}
