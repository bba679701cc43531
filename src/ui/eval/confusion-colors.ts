/**
 * Colours of a confusion-matrix cell. The count is the cell's text; the fill only repeats it, on one
 * hue (white to Paul Tol's indigo) whose lightness alone orders the counts for every kind of colour
 * vision. The text is black or white, whichever contrasts more with the fill: where the two are
 * equal that is sqrt(1.05 / 0.05) = 4.58:1, so every count reads at WCAG AA (4.5:1).
 */
import { interpolateRgb, rgb } from 'd3';

const shade = interpolateRgb('#ffffff', '#332288');

/** Relative luminance of a colour (WCAG 2). */
export function luminance(color: string): number {
  const c = rgb(color);
  const lin = (v: number) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(c.r) + 0.7152 * lin(c.g) + 0.0722 * lin(c.b);
}

/** Contrast ratio of two colours (WCAG 2), at least 1. */
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Fill and text colour of a cell holding `share` (0..1) of its row's largest count. */
export function confusionCell(share: number): { background: string; color: string } {
  const background = shade(0.75 * share);
  return { background, color: contrast(background, '#fff') > contrast(background, '#000') ? '#fff' : '#000' };
}
