import { describe, expect, it } from 'vitest';
import { bounds, CLASS_COLORS, classColor, embeddingToCsv, UNLABELLED_COLOR } from './map-data';

describe('embedding map helpers', () => {
  it('gives ten distinct class colours and a separate one for unlabelled points', () => {
    expect(new Set(CLASS_COLORS).size).toBe(10);
    expect(classColor(3)).toBe(CLASS_COLORS[3]);
    expect(classColor(13)).toBe(CLASS_COLORS[3]);
    expect(classColor(-1)).toBe(UNLABELLED_COLOR);
    expect(CLASS_COLORS).not.toContain(UNLABELLED_COLOR);
  });

  it('writes one CSV row per image with id, label (empty when unlabelled) and coordinates, quoting commas', () => {
    const csv = embeddingToCsv(Float32Array.of(1.5, -2, 0.25, 3), ['a', 'b,c'], Int32Array.of(1, -1), ['Trouser', 'Bag, small']);
    expect(csv).toBe('image_id,label,x,y\na,"Bag, small",1.5,-2\n"b,c",,0.25,3\n');
  });

  it('bounds of the coordinates, widened when all points share a value', () => {
    expect(bounds(Float32Array.of(0, 1, 2, -1))).toEqual([0, 2, -1, 1]);
    const [x0, x1] = bounds(Float32Array.of(5, 1, 5, 2));
    expect(x1).toBeGreaterThan(x0);
  });
});
