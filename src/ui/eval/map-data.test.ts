import { describe, expect, it } from 'vitest';
import { bounds, CLASS_COLORS, CLASS_SHAPES, classColor, classShape, embeddingToCsv, embeddingToSvg, markerVertices, UNLABELLED_COLOR } from './map-data';

describe('embedding map helpers', () => {
  it('gives ten distinct class colours and a separate one for unlabelled points', () => {
    expect(new Set(CLASS_COLORS).size).toBe(10);
    expect(classColor(3)).toBe(CLASS_COLORS[3]);
    expect(classColor(13)).toBe(CLASS_COLORS[3]);
    expect(classColor(-1)).toBe(UNLABELLED_COLOR);
    expect(CLASS_COLORS).not.toContain(UNLABELLED_COLOR);
  });

  it('gives each of ten classes its own pair of colour and shape, so colour is not the only carrier', () => {
    const pairs = CLASS_COLORS.map((c, i) => `${c} ${classShape(i)}`);
    expect(new Set(pairs).size).toBe(10);
    expect(new Set(CLASS_SHAPES).size).toBe(5);
    expect(classShape(12)).toBe(CLASS_SHAPES[2]);
    expect(markerVertices('circle', 0, 0, 1)).toBeNull();
    expect(markerVertices('square', 10, 20, 2)).toEqual([8.22, 18.22, 11.78, 18.22, 11.78, 21.78, 8.22, 21.78]);
  });

  it('writes one CSV row per image with id, label (empty when unlabelled) and coordinates, quoting commas', () => {
    const csv = embeddingToCsv(Float32Array.of(1.5, -2, 0.25, 3), ['a', 'b,c'], Int32Array.of(1, -1), ['Trouser', 'Bag, small']);
    expect(csv).toBe('image_id,label,x,y\na,"Bag, small",1.5,-2\n"b,c",,0.25,3\n');
  });

  it('writes an SVG with one marker per image in its class colour and shape, a legend naming each class, and escaped text', () => {
    const svg = embeddingToSvg(Float32Array.of(0, 0, 1, 1, 2, 0), ['a', 'b<1>', 'c'], Int32Array.of(0, 1, -1), ['T-shirt', 'Bag & co'], 't-SNE of 3 images');
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    // Class 0 and unlabelled points are circles, class 1 a downward triangle (a path).
    expect(svg.match(/<circle [^>]*r="3.5"[^>]*><title>/g)).toHaveLength(2);
    expect(svg.match(/<path d="M[^"]*Z" [^>]*><title>b&#60;1&#62;/g)).toHaveLength(1);
    expect(svg).toContain(`fill="${CLASS_COLORS[0]}"><title>a: T-shirt</title>`);
    expect(svg).toContain(`fill="${UNLABELLED_COLOR}"><title>c: unlabelled</title>`);
    expect(svg).toContain('b&#60;1&#62;: Bag &#38; co');
    expect(svg).toContain('>Bag &#38; co</text>');
    expect(svg).not.toContain('b<1>');
  });

  it('bounds of the coordinates, widened when all points share a value', () => {
    expect(bounds(Float32Array.of(0, 1, 2, -1))).toEqual([0, 2, -1, 1]);
    const [x0, x1] = bounds(Float32Array.of(5, 1, 5, 2));
    expect(x1).toBeGreaterThan(x0);
  });
});
