import { describe, expect, it } from 'vitest';
import { fetchWithProgress, hfFileUrl, hfHttpError, parseModelId, readHfConfig } from './huggingface';

describe('parseModelId', () => {
  it('accepts ids and Hub URLs', () => {
    expect(parseModelId(' facebook/dino-vits8 ')).toEqual({ id: 'facebook/dino-vits8', revision: 'main' });
    expect(parseModelId('https://huggingface.co/facebook/dino-vitb16/tree/v1.0')).toEqual({ id: 'facebook/dino-vitb16', revision: 'v1.0' });
  });

  it('explains a malformed id', () => {
    expect(parseModelId('dino')).toEqual({ error: '"dino" is not a model id; expected owner/name, e.g. facebook/dino-vits8' });
  });

  it('builds resolve URLs', () => {
    expect(hfFileUrl({ id: 'facebook/dino-vits8', revision: 'main' }, 'model.safetensors')).toBe(
      'https://huggingface.co/facebook/dino-vits8/resolve/main/model.safetensors',
    );
  });
});

describe('readHfConfig', () => {
  it('reads the ViT facts', () => {
    const cfg = { model_type: 'vit', num_attention_heads: 6, patch_size: 8, hidden_size: 384, num_hidden_layers: 12 };
    expect(readHfConfig('facebook/dino-vits8', cfg)).toEqual({ heads: 6, patchSize: 8, hiddenSize: 384, depth: 12 });
  });

  it('rejects what is not a ViT', () => {
    expect(() => readHfConfig('bert-base-uncased', { model_type: 'bert' })).toThrow(
      'bert-base-uncased is not a ViT: config.json says model_type "bert"',
    );
  });
});

describe('hfHttpError', () => {
  it('turns statuses into actionable messages', () => {
    expect(hfHttpError('x/y', 'model.safetensors', 404)).toContain('x/y has no model.safetensors (404)');
    expect(hfHttpError('x/y', 'config.json', 404)).toBe('x/y/config.json not found (404): check the model id');
    expect(hfHttpError('x/y', 'model.safetensors', 401)).toContain('private or gated (401)');
    expect(hfHttpError('x/y', 'model.safetensors', 500)).toBe('Downloading x/y/model.safetensors failed: HTTP 500');
  });
});

describe('fetchWithProgress bounds a Hub download', () => {
  /** A stand-in fetch: `body` bytes in chunks of 1000, `length` as the stated content-length. */
  function stubFetch(body: number, length: string | null): { fetch: typeof fetch; pulled: () => number } {
    let pulled = 0;
    const stub = (async () => {
      const stream = new ReadableStream<Uint8Array>({
        pull(c) {
          if (pulled >= body) return c.close();
          pulled += 1000;
          c.enqueue(new Uint8Array(1000));
        },
      });
      return new Response(stream, { status: 200, headers: length === null ? {} : { 'content-length': length } });
    }) as typeof fetch;
    return { fetch: stub, pulled: () => pulled };
  }

  it('states the size before the first byte, then counts up to it', async () => {
    const { fetch } = stubFetch(5000, '5000');
    const seen: (number | null)[][] = [];
    const buf = await withFetch(fetch, () => fetchWithProgress('https://huggingface.co/x', (p) => seen.push([p.loaded, p.total]), String, undefined, 10_000));
    expect(buf.byteLength).toBe(5000);
    expect(seen[0]).toEqual([0, 5000]);
    expect(seen.at(-1)).toEqual([5000, 5000]);
  });

  it('refuses a file whose stated size is over the limit before downloading it', async () => {
    const { fetch, pulled } = stubFetch(5_000_000_000, String(5_000_000_000));
    const progress: number[] = [];
    await expect(withFetch(fetch, () => fetchWithProgress('https://huggingface.co/big', (p) => progress.push(p.loaded), String))).rejects.toThrow(
      'https://huggingface.co/big is 5000.0 MB, more than the 1073.7 MB dinolab downloads (the largest DINO model is about 345 MB)',
    );
    expect(progress).toEqual([]);
    expect(pulled()).toBeLessThanOrEqual(1000);
  });

  it('stops a file that states no size (or a false one) once it passes the limit', async () => {
    const { fetch, pulled } = stubFetch(1_000_000, null);
    await expect(withFetch(fetch, () => fetchWithProgress('https://huggingface.co/x', () => {}, String, undefined, 10_000))).rejects.toThrow(/^https:\/\/huggingface.co\/x is over .* MB, more than the/);
    expect(pulled()).toBeLessThanOrEqual(12_000);
  });
});

async function withFetch<T>(stub: typeof fetch, run: () => Promise<T>): Promise<T> {
  const real = globalThis.fetch;
  globalThis.fetch = stub;
  try {
    return await run();
  } finally {
    globalThis.fetch = real;
  }
}
