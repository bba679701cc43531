/**
 * Downloading a ViT from the Hugging Face Hub: model id parsing, URLs, the config.json check, error
 * messages a person can act on, and a fetch that reports byte progress.
 */

export interface HfModelId {
  id: string;
  revision: string;
}

/** "facebook/dino-vits8", "https://huggingface.co/facebook/dino-vits8[/tree/rev]" -> id + revision. */
export function parseModelId(input: string): HfModelId | { error: string } {
  let s = input.trim();
  const url = /^https?:\/\/(?:www\.)?huggingface\.co\/(.+)$/.exec(s);
  if (url) s = url[1];
  const parts = s.split('/').filter(Boolean);
  let revision = 'main';
  if (parts.length >= 4 && (parts[2] === 'tree' || parts[2] === 'blob' || parts[2] === 'resolve')) revision = parts[3];
  const id = parts.slice(0, 2).join('/');
  if (parts.length < 2 || !/^[\w.-]+\/[\w.-]+$/.test(id)) {
    return { error: `"${input.trim()}" is not a model id; expected owner/name, e.g. facebook/dino-vits8` };
  }
  return { id, revision };
}

export function hfFileUrl({ id, revision }: HfModelId, file: string): string {
  return `https://huggingface.co/${id}/resolve/${encodeURIComponent(revision)}/${file}`;
}

export interface HfArchitecture {
  heads: number | null;
  patchSize: number | null;
  hiddenSize: number | null;
  depth: number | null;
}

/** Reads the ViT facts from a config.json; throws with a clear message when it is not a ViT. */
export function readHfConfig(id: string, json: unknown): HfArchitecture {
  if (json === null || typeof json !== 'object') throw new Error(`${id}: config.json is not a JSON object`);
  const c = json as Record<string, unknown>;
  const num = (k: string) => (typeof c[k] === 'number' ? (c[k] as number) : null);
  const modelType = typeof c.model_type === 'string' ? c.model_type : 'unknown';
  if (modelType !== 'vit') {
    throw new Error(`${id} is not a ViT: config.json says model_type "${modelType}" (dinolab loads DINO ViTs, model_type "vit")`);
  }
  return {
    heads: num('num_attention_heads'),
    patchSize: num('patch_size'),
    hiddenSize: num('hidden_size'),
    depth: num('num_hidden_layers'),
  };
}

/** What an HTTP failure means for a Hub file. */
export function hfHttpError(id: string, file: string, status: number): string {
  if (status === 404) {
    return file === 'model.safetensors'
      ? `${id} has no model.safetensors (404): check the id; repos that ship only pytorch_model.bin can be downloaded and dropped as a .pth file`
      : `${id}/${file} not found (404): check the model id`;
  }
  if (status === 401 || status === 403) return `${id} is private or gated (${status}): download it yourself and drop the file here`;
  return `Downloading ${id}/${file} failed: HTTP ${status}`;
}

/** Largest Hub file downloaded, bytes: 1 GiB, about three times the largest released DINO model
 *  (facebook/dino-vitb8, 86 M float32 parameters, about 345 MB). */
export const MAX_HUB_BYTES = 2 ** 30;
/** Largest config.json downloaded, bytes (the real ones are under 1 KB). */
export const MAX_HUB_CONFIG_BYTES = 2 ** 20;

export interface ByteProgress {
  loaded: number;
  /** From content-length; null when the server does not say. */
  total: number | null;
}

/**
 * fetch() that reads the body chunk by chunk and reports the byte count, starting with the size the
 * server states (before any byte of the body). A file over `maxBytes` is refused: before the
 * download when its stated size says so, or as soon as that many bytes have arrived.
 */
export async function fetchWithProgress(
  url: string,
  onProgress: (p: ByteProgress) => void,
  describeStatus: (status: number) => string,
  signal?: AbortSignal,
  maxBytes = MAX_HUB_BYTES,
): Promise<ArrayBuffer> {
  const tooLarge = (size: string) =>
    new Error(`${url} is ${size}, more than the ${formatMB(maxBytes)} dinolab downloads (the largest DINO model is about 345 MB)`);
  let res: Response;
  try {
    res = await fetch(url, { signal });
  } catch (e) {
    if (signal?.aborted) throw new Error('Download cancelled');
    throw new Error(`Network error fetching ${url}: ${(e as Error).message} (offline, or blocked by the browser)`);
  }
  if (!res.ok) throw new Error(describeStatus(res.status));
  const lengthHeader = res.headers.get('content-length');
  const total = lengthHeader && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  if (total !== null && total > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge(formatMB(total));
  }
  onProgress({ loaded: 0, total });
  if (!res.body) {
    const buf = await res.arrayBuffer();
    if (buf.byteLength > maxBytes) throw tooLarge(formatMB(buf.byteLength));
    onProgress({ loaded: buf.byteLength, total });
    return buf;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    if (loaded > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(`over ${formatMB(maxBytes)}`);
    }
    onProgress({ loaded, total });
  }
  const out = new Uint8Array(loaded);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out.buffer;
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
