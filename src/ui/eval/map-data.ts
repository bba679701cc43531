/** Pure helpers of the embedding map: the colour-blind-safe palette and marker shapes, the CSV and SVG exports, bounds. */

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

export type MarkerShape = 'circle' | 'square' | 'diamond' | 'triangle' | 'triangle-down';

/**
 * A shape per class, so colour is never the only carrier. Ten classes share five shapes; the two
 * colours of a shape differ a lot in lightness (indigo and teal; sand and green; wine and grey) or
 * lie on the blue-yellow axis that red-green colour blindness keeps (rose and cyan; olive and
 * purple), while the pairs most alike under it (rose and olive, purple and teal, sand and olive,
 * green and wine, cyan and grey) get different shapes.
 */
export const CLASS_SHAPES: MarkerShape[] = ['circle', 'triangle-down', 'diamond', 'diamond', 'circle', 'triangle', 'triangle-down', 'square', 'square', 'triangle'];

export function classShape(label: number): MarkerShape {
  return label < 0 ? 'circle' : CLASS_SHAPES[label % CLASS_SHAPES.length];
}

// Unit vertices of each polygon (y down, as on a canvas), scaled so every shape covers about the
// area of a circle of the same radius.
const POLYGONS: Record<Exclude<MarkerShape, 'circle'>, [number, number][]> = {
  square: [[-0.89, -0.89], [0.89, -0.89], [0.89, 0.89], [-0.89, 0.89]],
  diamond: [[0, -1.25], [1.25, 0], [0, 1.25], [-1.25, 0]],
  triangle: [[0, -1.55], [1.35, 0.78], [-1.35, 0.78]],
  'triangle-down': [[0, 1.55], [1.35, -0.78], [-1.35, -0.78]],
};

/** A marker's polygon at unit radius, [dx, dy] per vertex; null for a circle. */
export function unitPolygon(shape: MarkerShape): readonly (readonly [number, number])[] | null {
  return shape === 'circle' ? null : POLYGONS[shape];
}

/** The vertices of a marker of radius r at (x, y), flat [x0, y0, x1, y1, ...]; null for a circle. */
export function markerVertices(shape: MarkerShape, x: number, y: number, r: number): number[] | null {
  return unitPolygon(shape)?.flatMap(([dx, dy]) => [x + dx * r, y + dy * r]) ?? null;
}

/** The thin edge of every marker: the palette's light colours (sand, cyan, grey) stand out from a white ground. */
export const MARKER_EDGE = 'rgba(0, 0, 0, 0.5)';
export const MARKER_EDGE_WIDTH = 0.6;

/** A marker as an SVG element (a circle, or a path), with its content (a <title>). */
function svgMarker(shape: MarkerShape, x: number, y: number, r: number, fill: string, content: string): string {
  const v = markerVertices(shape, x, y, r);
  const paint = `stroke="${MARKER_EDGE}" stroke-width="${MARKER_EDGE_WIDTH}" fill="${fill}"`;
  if (!v) return `<circle cx="${x.toFixed(2)}" cy="${y.toFixed(2)}" r="${r}" ${paint}>${content}</circle>`;
  const corners: string[] = [];
  for (let i = 0; i < v.length; i += 2) corners.push(`${v[i].toFixed(2)},${v[i + 1].toFixed(2)}`);
  return `<path d="M${corners.join('L')}Z" ${paint}>${content}</path>`;
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
 * The map as a standalone SVG: a title, one marker per image in its class's colour and shape, as on
 * screen (its image id and class in a <title>, so a viewer shows them on hover), and a legend
 * naming every class beside its marker.
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
    parts.push(svgMarker(classShape(labels[i]), sx(coords[2 * i]), sy(coords[2 * i + 1]), r, classColor(labels[i]), `<title>${escapeXml(`${id}: ${label}`)}</title>`));
  });
  const present = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  present.forEach((label, k) => {
    const y = 40 + 18 * k;
    const name = label >= 0 ? classNames[label] : 'unlabelled';
    parts.push(`${svgMarker(classShape(label), width - legendW + 8, y - 4, 5, classColor(label), '')}<text x="${width - legendW + 18}" y="${y}">${escapeXml(name)}</text>`);
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
