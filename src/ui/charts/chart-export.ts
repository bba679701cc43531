/**
 * Chart export: an SVG that stands alone (computed styles inlined, so theme variables and CSS
 * classes survive outside the page) and a PNG rendered from it.
 */

const STYLE_PROPS = [
  'fill', 'fill-opacity', 'stroke', 'stroke-width', 'stroke-dasharray', 'stroke-opacity', 'opacity',
  'font-family', 'font-size', 'font-weight', 'text-anchor', 'dominant-baseline', 'visibility',
];

const SVG_NS = 'http://www.w3.org/2000/svg';
const HEADER = 24;

/** Serialise an on-screen SVG with its computed styles, the page background, and a header line
 *  with the chart's title and legend (read from the chart's on-screen caption). */
export function standaloneSvg(svg: SVGSVGElement, title: string, legend: HTMLElement | null): { text: string; width: number; height: number } {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const src = [svg, ...Array.from(svg.querySelectorAll('*'))];
  const dst = [clone, ...Array.from(clone.querySelectorAll('*'))];
  src.forEach((el, i) => {
    const cs = getComputedStyle(el);
    const d = dst[i] as SVGElement;
    for (const p of STYLE_PROPS) d.style.setProperty(p, cs.getPropertyValue(p));
  });
  // Interaction layers (brush overlay, hover rule) are not part of the figure.
  clone.querySelectorAll('[data-export="skip"]').forEach((el) => el.remove());
  const { width, height } = svg.getBoundingClientRect();
  const text = getComputedStyle(document.body).color;
  const body = document.createElementNS(SVG_NS, 'g');
  body.setAttribute('transform', `translate(0,${HEADER})`);
  body.append(...Array.from(clone.childNodes));
  const bg = document.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', '100%');
  bg.setAttribute('height', '100%');
  bg.setAttribute('fill', getComputedStyle(document.body).backgroundColor || '#fff');
  const head = document.createElementNS(SVG_NS, 'text');
  head.setAttribute('x', '8');
  head.setAttribute('y', '16');
  head.setAttribute('style', `font: 600 13px system-ui, sans-serif; fill: ${text}`);
  head.textContent = title;
  const items = legend ? Array.from(legend.querySelectorAll('.legend-item')) : [];
  const key = items.map((item) => {
    const swatch = item.querySelector('i');
    const color = swatch ? getComputedStyle(swatch).backgroundColor : text;
    const span = document.createElementNS(SVG_NS, 'tspan');
    span.setAttribute('style', `fill: ${color === 'rgba(0, 0, 0, 0)' ? text : color}`);
    span.textContent = `  ${swatch?.classList.contains('legend-dashed') ? '╌' : '■'} ${item.textContent ?? ''}`;
    return span;
  });
  const legendText = document.createElementNS(SVG_NS, 'text');
  legendText.setAttribute('x', String(16 + title.length * 7.2));
  legendText.setAttribute('y', '16');
  legendText.setAttribute('style', 'font: 12px system-ui, sans-serif');
  legendText.append(...key);
  const t = document.createElementNS(SVG_NS, 'title');
  t.textContent = title;
  clone.append(t, bg, head, legendText, body);
  clone.setAttribute('xmlns', SVG_NS);
  clone.setAttribute('width', String(width));
  clone.setAttribute('height', String(height + HEADER));
  return { text: new XMLSerializer().serializeToString(clone), width, height: height + HEADER };
}

/** Render SVG text to a PNG at `scale` times its size. */
export async function svgToPng(svgText: string, width: number, height: number, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d')!;
    ctx.scale(scale, scale);
    ctx.drawImage(img, 0, 0, width, height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
