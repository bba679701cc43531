import { describe, expect, it } from 'vitest';
import { hfFileUrl, hfHttpError, parseModelId, readHfConfig } from './huggingface';

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
