import { describe, expect, it } from 'vitest';
import { backboneToHuggingFace, huggingFaceToOfficial, isHuggingFaceViT } from './huggingface';
import { readSafetensors } from './safetensors';
import { f32, firstDifference, golden } from '../../test-support/weights';

const official = () => readSafetensors(golden('backbone.safetensors')).tensors;
const hf = () => readSafetensors(golden('backbone_hf.safetensors')).tensors;

describe('Hugging Face ViT layout', () => {
  it('maps backbone_hf.safetensors onto the official tensors exactly (qkv concatenated)', () => {
    const h = hf();
    expect(isHuggingFaceViT(h)).toBe(true);
    const { backbone, unexpected } = huggingFaceToOfficial(h);
    expect(unexpected).toEqual([]);
    expect(new Set(backbone.keys())).toEqual(new Set(official().keys()));
    expect(firstDifference(official(), backbone)).toBeNull();
  });

  it('maps the official backbone to exactly the Hub layout (the inverse)', () => {
    const back = backboneToHuggingFace(official());
    const h = hf();
    expect(new Set(back.keys())).toEqual(new Set(h.keys()));
    expect(firstDifference(h, back)).toBeNull();
  });

  it('accepts the vit. prefix of ViTForImageClassification and reports pooler/classifier', () => {
    const prefixed = new Map([...hf()].map(([k, t]) => [`vit.${k}`, t]));
    prefixed.set('classifier.weight', f32([10, 48]));
    prefixed.set('vit.pooler.dense.weight', f32([48, 48]));
    const { backbone, unexpected } = huggingFaceToOfficial(prefixed);
    expect(unexpected.sort()).toEqual(['classifier.weight', 'vit.pooler.dense.weight']);
    expect(firstDifference(official(), backbone)).toBeNull();
  });

  it('names a missing query/key/value part', () => {
    const h = hf();
    h.delete('encoder.layer.1.attention.attention.key.bias');
    expect(() => huggingFaceToOfficial(h)).toThrow(/missing encoder.layer.1.attention.attention.key.bias/);
  });
});
