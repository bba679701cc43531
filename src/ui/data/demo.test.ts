import { describe, expect, it } from 'vitest';
import { grayToRgb, parseFashionMeta } from './demo';

describe('Fashion-MNIST demo', () => {
  it('replicates grey to RGB for image i of a block', () => {
    const block = Uint8Array.from([10, 20, 30, 40, 50, 60, 70, 80]); // two 2x2 images
    expect(Array.from(grayToRgb(block, 1, 2, 2))).toEqual([50, 50, 50, 60, 60, 60, 70, 70, 70, 80, 80, 80]);
  });

  it('accepts the shipped meta.json shape and names what is wrong otherwise', () => {
    const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
    const meta = { count: 2000, width: 28, height: 28, channels: 1, classes, images: 'images.u8' };
    expect(parseFashionMeta(meta).classes[9]).toBe('Ankle boot');
    expect(() => parseFashionMeta({ ...meta, channels: 3 })).toThrow('meta.json: expected 1 channel, got 3');
    expect(() => parseFashionMeta({ ...meta, count: 0 })).toThrow('meta.json: count must be a positive integer, got 0');
  });
});
