/** Pure helpers of the embedding map: the colour-blind-safe palette, the CSV and SVG exports, bounds. */

/**
 * Paul Tol's "muted" qualitative scheme (9 colours distinguishable with the common colour-vision
 * deficiencies) plus his pale grey for a tenth class; unlabelled points are drawn in dark grey.
 * More classes than colours reuse them (the legend still names each class).
 */
export const CLASS_COLORS = ['#CC6677', '#332288', '#DDCC77', '#117733', '#88CCEE', '#882255', '#44AA99', '#999933', '#AA4499', '#BBBBBB'];
export const UNLABELLED_COLOR = '#555555';

export function classColor(label: number): string {
  return label < 0 ? UNLABELLED_COLOR : CLASS_COLORS[label % CLASS_COLORS.length];
}

function quote(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One row per image: its map coordinates, image id and label (empty when unlabelled). */
export function embeddingToCsv(coords: ArrayLike<number>, ids: readonly string[], labels: ArrayLike<number>, classNames: readonly string[]): string {
  const lines = ['image_id,label,x,y'];
  ids.forEach((id, i) => lines.push([quote(id), quote(labels[i] >= 0 ? classNames[labels[i]] : ''), String(coords[2 * i]), String(coords[2 * i + 1])].join(',')));
  return `${lines.join('\n')}\n`;
}

const escapeXml = (v: string) => v.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The map as a standalone SVG: a title, one circle per image coloured as on screen (its image id
 * and class in a <title>, so a viewer shows them on hover), and a legend naming every class.
 */
export function embeddingToSvg(
  coords: ArrayLike<number>,
  ids: readonly string[],
  labels: ArrayLike<number>,
  classNames: readonly string[],
  title: string,
  width = 640,
  height = 480,
): string {
  const [x0, x1, y0, y1] = bounds(coords);
  const pad = 12;
  const legendW = 160;
  const sx = (x: number) => pad + ((x - x0) / (x1 - x0)) * (width - legendW - 2 * pad);
  const sy = (y: number) => height - pad - ((y - y0) / (y1 - y0)) * (height - 2 * pad - 24);
  const r = ids.length > 3000 ? 1.5 : ids.length > 500 ? 2.5 : 3.5;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="${pad}" y="16">${escapeXml(title)}</text>`,
  ];
  ids.forEach((id, i) => {
    const label = labels[i] >= 0 ? classNames[labels[i]] : 'unlabelled';
    parts.push(
      `<circle cx="${sx(coords[2 * i]).toFixed(2)}" cy="${sy(coords[2 * i + 1]).toFixed(2)}" r="${r}" fill="${classColor(labels[i])}"><title>${escapeXml(`${id}: ${label}`)}</title></circle>`,
    );
  });
  const present = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  present.forEach((label, k) => {
    const y = 40 + 18 * k;
    const name = label >= 0 ? classNames[label] : 'unlabelled';
    parts.push(`<circle cx="${width - legendW + 8}" cy="${y - 4}" r="5" fill="${classColor(label)}"/><text x="${width - legendW + 18}" y="${y}">${escapeXml(name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Bounds [minX, maxX, minY, maxY] of [n, 2] coordinates (a unit box when empty or flat). */
export function bounds(coords: ArrayLike<number>): [number, number, number, number] {
  let x0 = Infinity;
  let x1 = -Infinity;
  let y0 = Infinity;
  let y1 = -Infinity;
  for (let i = 0; i + 1 < coords.length; i += 2) {
    x0 = Math.min(x0, coords[i]);
    x1 = Math.max(x1, coords[i]);
    y0 = Math.min(y0, coords[i + 1]);
    y1 = Math.max(y1, coords[i + 1]);
  }
  if (!(x1 > x0)) [x0, x1] = [x0 - 1 || -1, x0 + 1 || 1];
  if (!(y1 > y0)) [y0, y1] = [y0 - 1 || -1, y0 + 1 || 1];
  return [x0, x1, y0, y1];
}
