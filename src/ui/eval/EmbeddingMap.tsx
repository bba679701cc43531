/**
 * The embedding map: a 2-D t-SNE or PCA of the features, drawn on a canvas (thousands of points),
 * coloured by class. Hover shows the image; a click opens it in the attention inspector or shows
 * its nearest neighbours. d3 computes the scales and the nearest point (Delaunay); React owns the DOM.
 */
import * as d3 from 'd3';
import { useDeferredValue, useEffect, useMemo, useRef, useState } from 'react';
import { cancelEvaluation, embed, exportEmbeddingCsv, exportEmbeddingSvg, inspectRow, showNeighbors } from './eval-actions';
import { download } from '../common/download';
import { useStore } from '../store';
import { thumbUrl } from '../data/thumbs';
import { bounds, classColor, classShape, MARKER_EDGE, MARKER_EDGE_WIDTH, markerVertices, unitPolygon } from './map-data';

const HEIGHT = 480;
const MARGIN = 12;

/** Adds a marker to the canvas's current path; allocates nothing (thousands per t-SNE frame). */
function tracePoint(ctx: CanvasRenderingContext2D, polygon: ReturnType<typeof unitPolygon>, x: number, y: number, r: number): void {
  if (!polygon) {
    ctx.moveTo(x + r, y);
    ctx.arc(x, y, r, 0, 2 * Math.PI);
    return;
  }
  ctx.moveTo(x + polygon[0][0] * r, y + polygon[0][1] * r);
  for (let i = 1; i < polygon.length; i++) ctx.lineTo(x + polygon[i][0] * r, y + polygon[i][1] * r);
  ctx.closePath();
}

/** A class's marker in the legend: the same shape and colour as on the map. */
function LegendMarker({ label }: { label: number }) {
  const v = markerVertices(classShape(label), 7, 7, 5);
  const paint = { fill: classColor(label), stroke: MARKER_EDGE, strokeWidth: MARKER_EDGE_WIDTH * 2 };
  return (
    <svg className="swatch" width={14} height={14} aria-hidden="true">
      {v ? <polygon points={v.join(' ')} {...paint} /> : <circle cx={7} cy={7} r={5} {...paint} />}
    </svg>
  );
}

type ClickAction = 'inspect' | 'neighbors';

export function EmbeddingMap() {
  // Deferred: a new feature set or map renders in the background, in slices, never as one long task.
  const features = useDeferredValue(useStore((s) => s.features), null);
  const embedding = useDeferredValue(useStore((s) => s.embedding), null);
  const pending = useStore((s) => s.embedPending);
  const canvas = useRef<HTMLCanvasElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(640);
  const [hover, setHover] = useState<{ row: number; x: number; y: number } | null>(null);
  const [action, setAction] = useState<ClickAction>('inspect');

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(240, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const n = features?.count ?? 0;
  const coords = embedding && embedding.coords.length === 2 * n ? embedding.coords : null;
  const scales = useMemo(() => {
    if (!coords) return null;
    const [x0, x1, y0, y1] = bounds(coords);
    const x = d3.scaleLinear().domain([x0, x1]).range([MARGIN, width - MARGIN]);
    const y = d3.scaleLinear().domain([y0, y1]).range([HEIGHT - MARGIN, MARGIN]);
    return { x, y };
  }, [coords, width]);
  // The nearest-point index is built on the first hover, not for every intermediate t-SNE map.
  const finder = useRef<{ for: unknown; delaunay: d3.Delaunay<number> } | null>(null);
  const delaunay = () => {
    if (!scales || !coords) return null;
    if (finder.current?.for !== scales) {
      const d = d3.Delaunay.from(Array.from({ length: n }, (_, i) => i), (i) => scales.x(coords[2 * i]), (i) => scales.y(coords[2 * i + 1]));
      finder.current = { for: scales, delaunay: d };
    }
    return finder.current.delaunay;
  };

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx || !features) return;
    const dpr = window.devicePixelRatio || 1;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, width, HEIGHT);
    if (!scales || !coords) return;
    const r = n > 3000 ? 1.5 : n > 500 ? 2.5 : 3.5;
    // One path per class: a few fills instead of one per point; each class has its own shape too.
    const byClass = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const rows = byClass.get(features.labels[i]);
      if (rows) rows.push(i);
      else byClass.set(features.labels[i], [i]);
    }
    ctx.strokeStyle = MARKER_EDGE;
    ctx.lineWidth = MARKER_EDGE_WIDTH;
    // The scales are linear: x = ax * cx + bx, read once instead of called per point.
    const ax = scales.x(1) - scales.x(0);
    const bx = scales.x(0);
    const ay = scales.y(1) - scales.y(0);
    const by = scales.y(0);
    for (const [label, rows] of byClass) {
      const polygon = unitPolygon(classShape(label));
      ctx.fillStyle = classColor(label);
      ctx.beginPath();
      for (const i of rows) tracePoint(ctx, polygon, ax * coords[2 * i] + bx, ay * coords[2 * i + 1] + by, r);
      ctx.fill();
      ctx.stroke();
    }
  }, [scales, coords, features, width, n]);

  if (!features) return null;

  const rowAt = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const d = delaunay();
    if (!scales || !d) return null;
    const rect = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - rect.left;
    const py = e.clientY - rect.top;
    const row = d.find(px, py);
    const dx = scales.x(coords![2 * row]) - px;
    const dy = scales.y(coords![2 * row + 1]) - py;
    return dx * dx + dy * dy <= 12 * 12 ? { row, x: px, y: py } : null;
  };
  const click = (e: React.MouseEvent<HTMLCanvasElement>) => {
    const hit = rowAt(e);
    if (!hit) return;
    if (action === 'inspect') void inspectRow(hit.row);
    else void showNeighbors(hit.row);
  };
  const exportPng = () => canvas.current?.toBlob((b) => b && download(b, `dinolab-${embedding?.method ?? 'map'}.png`, 'image/png'));
  const running = pending && embedding !== null && embedding.method !== 'pca' && embedding.iteration < embedding.total;
  const hoverId = hover ? features.ids[hover.row] : null;
  const hoverUrl = hoverId ? thumbUrl(hoverId) : undefined;
  const hoverLabel = hover && features.labels[hover.row] >= 0 ? features.classNames[features.labels[hover.row]] : 'unlabelled';

  return (
    <section className="eval-section" aria-labelledby="eval-map-title">
      <h3 id="eval-map-title" className="section-title">Embedding map</h3>
      <div className="eval-controls">
        <button type="button" onClick={() => void embed('tsne')} disabled={pending}>
          t-SNE (sklearn defaults)
        </button>
        <button type="button" onClick={() => void embed('umap')} disabled={pending}>
          UMAP
        </button>
        <button type="button" onClick={() => void embed('pca')} disabled={pending}>
          PCA
        </button>
        {pending && (
          <button type="button" onClick={cancelEvaluation}>
            Cancel
          </button>
        )}
        <button type="button" onClick={exportPng} disabled={!coords}>
          Export PNG
        </button>
        <button type="button" onClick={exportEmbeddingSvg} disabled={!coords}>
          Export SVG
        </button>
        <button type="button" onClick={exportEmbeddingCsv} disabled={!coords}>
          Export CSV
        </button>
        <span>click a point to</span>
        <label className="inline-check">
          <input type="radio" name="map-click" checked={action === 'inspect'} onChange={() => setAction('inspect')} /> open it in the attention inspector
        </label>
        <label className="inline-check">
          <input type="radio" name="map-click" checked={action === 'neighbors'} onChange={() => setAction('neighbors')} /> show its nearest neighbours
        </label>
      </div>
      <p className="muted" role="status" data-testid="map-status">
        {embedding
          ? embedding.method === 'tsne'
            ? running || embedding.seconds === null
              ? `t-SNE: iteration ${embedding.iteration} of ${embedding.total}`
              : `t-SNE (perplexity 30, early exaggeration 12 for 250 of 1000 iterations, learning rate max(n / 48, 50), PCA init): ${embedding.seconds.toFixed(1)} s`
            : embedding.method === 'umap'
              ? running || embedding.seconds === null
                ? `UMAP: epoch ${embedding.iteration} of ${embedding.total}`
                : `UMAP (umap-js: 15 neighbours, min_dist 0.1, seed 42): ${embedding.seconds.toFixed(1)} s`
              : `PCA (first two components): ${embedding.seconds?.toFixed(2) ?? ''} s`
          : pending
            ? 'computing…'
            : 'no map yet'}
      </p>
      <div className="eval-map" ref={box} style={{ position: 'relative' }}>
        <canvas
          ref={canvas}
          width={Math.round(width * (window.devicePixelRatio || 1))}
          height={Math.round(HEIGHT * (window.devicePixelRatio || 1))}
          style={{ width, height: HEIGHT, cursor: hover ? 'pointer' : 'default' }}
          role="img"
          aria-label={`${embedding?.method ?? ''} map of ${n} images, one colour and shape per class (legend below)`}
          data-testid="embedding-canvas"
          // Where row 0 is drawn (CSS px from the canvas's corner): lets tests click a real point.
          data-point0={scales && coords ? `${Math.round(scales.x(coords[0]))},${Math.round(scales.y(coords[1]))}` : undefined}
          onMouseMove={(e) => setHover(rowAt(e))}
          onMouseLeave={() => setHover(null)}
          onClick={click}
        />
        {hover && (
          <div className="map-tooltip" style={{ left: Math.min(hover.x + 12, width - 120), top: Math.max(0, hover.y - 110) }} data-testid="map-tooltip">
            {hoverUrl && <img src={hoverUrl} alt="" width={96} height={96} />}
            <div>{hoverLabel}</div>
          </div>
        )}
      </div>
      <ul className="map-legend" aria-label="classes">
        {features.classNames.map((name, c) => (
          <li key={name}>
            <LegendMarker label={c} /> {name}
          </li>
        ))}
        {Array.from(features.labels).some((l) => l < 0) && (
          <li>
            <LegendMarker label={-1} /> unlabelled
          </li>
        )}
      </ul>
    </section>
  );
}
