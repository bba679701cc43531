/**
 * A line chart for long training curves. d3 computes scales and paths; React owns the DOM; only the
 * axes and the brush touch d3 selections, through refs. Lines are EMA-smoothed (raw kept faint
 * behind) and min/max-decimated to about one point per pixel, so 100k steps draw as fast as 100.
 */
import { axisBottom, axisLeft, brushX, format, line, scaleLinear, select, type BrushBehavior } from 'd3';
import { useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { seriesToCsv } from './csv';
import { download } from '../common/download';
import { emaSmooth, lowerBound, minMaxDownsample, type Points } from './series';
import { standaloneSvg, svgToPng } from './chart-export';
import { useWidth } from './hooks';
import { chartSummary } from './summary';
import './charts.css';

export interface ChartSeries {
  key: string;
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** CSS colour, e.g. "var(--c-loss)". */
  color: string;
  /** Not smoothed (planned schedules, already smooth). */
  raw?: boolean;
}

export interface RefLine {
  y: number;
  label: string;
}

export interface LineChartProps {
  title: string;
  series: ChartSeries[];
  refLines?: RefLine[];
  /** A vertical rule, e.g. at the current step. */
  marker?: number | null;
  xLabel?: string;
  /** d3-format specifier of y tick labels and read-outs. */
  yFormat?: string;
  smoothing?: number;
  zoom?: [number, number] | null;
  onZoom?: (z: [number, number] | null) => void;
  /** Fixed y range (small multiples share one). */
  yDomain?: [number, number];
  height?: number;
  emptyText?: string;
  /** Base name of exported files. */
  fileName: string;
  testId?: string;
  compact?: boolean;
}

const M = { top: 8, right: 14, bottom: 26, left: 52 };

/** Step ticks: 500, 1,000 ... then 10k, 250k. */
const stepTick = (v: number) => (Math.abs(v) >= 1e4 ? format('.3~s')(v) : format(',~r')(v));

interface Drawn {
  series: ChartSeries;
  shown: Points;
  faint: Points | null;
}

export function LineChart(props: LineChartProps) {
  const { title, series, refLines = [], marker, xLabel = 'step', yFormat = '.3~g', smoothing = 0, zoom = null, onZoom } = props;
  const height = props.height ?? (props.compact ? 150 : 200);
  const [boxRef, width] = useWidth<HTMLDivElement>();
  const svgRef = useRef<SVGSVGElement>(null);
  const xAxisRef = useRef<SVGGElement>(null);
  const yAxisRef = useRef<SVGGElement>(null);
  const brushRef = useRef<SVGGElement>(null);
  const [hoverPx, setHoverPx] = useState<number | null>(null);
  const uid = useId().replace(/[^a-zA-Z0-9]/g, '');
  const clipId = `clip${uid}`;
  const summaryId = `summary${uid}`;
  const innerW = Math.max(10, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  const hasData = series.some((s) => s.x.length > 0);

  // Decimated lines are cached per series object: a series whose object is unchanged (a planned
  // schedule) is not recomputed when another series of the chart (the applied values) grows.
  const cache = useRef(new WeakMap<ChartSeries, { params: string; drawn: Drawn }>());
  const drawn: Drawn[] = useMemo(() => {
    const buckets = Math.max(50, Math.min(1000, Math.round(innerW / 2)));
    return series.map((s) => {
      const params = `${smoothing}|${zoom?.join()}|${buckets}|${s.x.length}`;
      const hit = cache.current.get(s);
      if (hit && hit.params === params) return hit.drawn;
      const smooth = smoothing > 0 && !s.raw;
      const y = smooth ? emaSmooth(s.y, smoothing) : s.y;
      const d: Drawn = {
        series: s,
        shown: minMaxDownsample(s.x, y, buckets, zoom ?? undefined),
        faint: smooth ? minMaxDownsample(s.x, s.y, buckets, zoom ?? undefined) : null,
      };
      cache.current.set(s, { params, drawn: d });
      return d;
    });
  }, [series, smoothing, zoom, innerW]);

  // Domains first (plain numbers), so scales and paths stay identical while the data in view does.
  const [x0, x1] = useMemo((): [number, number] => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of series) {
      if (s.x.length === 0) continue;
      lo = Math.min(lo, s.x[0]);
      hi = Math.max(hi, s.x[s.x.length - 1]);
    }
    if (zoom) [lo, hi] = zoom;
    if (!Number.isFinite(lo)) [lo, hi] = [0, 1];
    return [lo, hi === lo ? lo + 1 : hi];
  }, [series, zoom]);

  const [y0, y1] = useMemo((): [number, number] => {
    if (props.yDomain) return props.yDomain;
    let lo = Infinity;
    let hi = -Infinity;
    for (const d of drawn) {
      for (const p of [d.shown, d.faint]) {
        if (!p) continue;
        for (let i = 0; i < p.x.length; i++) {
          if (p.x[i] < x0 || p.x[i] > x1 || !Number.isFinite(p.y[i])) continue;
          lo = Math.min(lo, p.y[i]);
          hi = Math.max(hi, p.y[i]);
        }
      }
    }
    for (const r of refLines) {
      lo = Math.min(lo, r.y);
      hi = Math.max(hi, r.y);
    }
    if (!Number.isFinite(lo)) return [0, 1];
    if (hi === lo) return [lo - Math.abs(lo) * 0.1 - 1e-9, hi + Math.abs(hi) * 0.1 + 1e-9];
    return [lo, hi];
  }, [drawn, x0, x1, refLines, props.yDomain]);

  const x = useMemo(() => scaleLinear().domain([x0, x1]).range([0, innerW]), [x0, x1, innerW]);
  const y = useMemo(() => {
    const s = scaleLinear().domain([y0, y1]).range([innerH, 0]);
    return props.yDomain ? s : s.nice();
  }, [y0, y1, innerH, props.yDomain]);

  // SVG path strings, cached per decimated line and scale: an unchanged line keeps its exact
  // string, so React leaves its element (and the browser its paint) alone.
  const pathCache = useRef(new WeakMap<Points, { x: typeof x; y: typeof y; d: string }>());
  const path = (p: Points) => {
    const hit = pathCache.current.get(p);
    if (hit && hit.x === x && hit.y === y) return hit.d;
    const d =
      line<number>()
        .defined((i) => Number.isFinite(p.y[i]))
        .x((i) => x(p.x[i]))
        .y((i) => y(p.y[i]))(Array.from({ length: p.x.length }, (_, i) => i)) ?? '';
    pathCache.current.set(p, { x, y, d });
    return d;
  };

  // Axes: d3 draws into React-owned groups.
  useLayoutEffect(() => {
    if (!xAxisRef.current || !yAxisRef.current) return;
    select(xAxisRef.current).call(axisBottom(x).ticks(Math.max(2, Math.floor(innerW / 80))).tickFormat((v) => stepTick(+v)));
    select(yAxisRef.current).call(axisLeft(y).ticks(Math.max(2, Math.floor(innerH / 36))).tickFormat((v) => (+v === 0 ? '0' : format(yFormat)(+v))));
  }, [x, y, innerW, innerH, yFormat]);

  // Brush to zoom into a step range; the handler reads the current scale through a ref.
  const xRef = useRef(x);
  xRef.current = x;
  useEffect(() => {
    if (!brushRef.current || !onZoom || !hasData) return;
    const g = select(brushRef.current);
    const brush: BrushBehavior<unknown> = brushX().extent([
      [0, 0],
      [innerW, innerH],
    ]);
    brush.on('end', (ev: { selection: [number, number] | null; sourceEvent?: Event }) => {
      if (!ev.selection || !ev.sourceEvent) return;
      const [a, b] = ev.selection.map((px) => xRef.current.invert(px));
      if (b - a > 0) onZoom([a, b]);
      g.call(brush.move, null);
    });
    g.call(brush);
    return () => {
      g.on('.brush', null);
      g.selectAll('*').remove();
    };
  }, [innerW, innerH, onZoom, hasData]);

  // Hover read-out: nearest shown point of each series to the pointer's x.
  const hover = useMemo(() => {
    if (hoverPx === null) return null;
    const xv = x.invert(hoverPx);
    const rows = drawn
      .map((d) => {
        const p = d.shown;
        if (p.x.length === 0) return null;
        let i = lowerBound(p.x, xv);
        if (i > 0 && (i === p.x.length || xv - p.x[i - 1] < p.x[i] - xv)) i--;
        return { label: d.series.label, color: d.series.color, x: p.x[i], y: p.y[i] };
      })
      .filter((r) => r !== null);
    return { xv, rows };
  }, [hoverPx, drawn, x]);

  const fmt = format(yFormat);
  const summary = chartSummary(series, {
    xLabel,
    at: marker,
    refLabels: refLines.map((r) => r.label),
    formatY: fmt,
    formatX: format(',.0f'),
    emptyText: props.emptyText ?? 'No data yet',
  });
  const exportCsv = () =>
    download(
      seriesToCsv(xLabel, series.map((s) => ({ name: s.label, x: s.x, y: s.y }))),
      `${props.fileName}.csv`,
      'text/csv',
    );
  const legendRef = useRef<HTMLSpanElement>(null);
  const exportSvg = () =>
    svgRef.current && download(standaloneSvg(svgRef.current, title, legendRef.current).text, `${props.fileName}.svg`, 'image/svg+xml');
  const exportPng = async () => {
    if (!svgRef.current) return;
    const { text, width: w, height: h } = standaloneSvg(svgRef.current, title, legendRef.current);
    download(await svgToPng(text, w, h), `${props.fileName}.png`);
  };

  return (
    <figure className={`chart${props.compact ? ' compact' : ''}`} data-testid={props.testId}>
      <figcaption className="chart-head">
        <span className="chart-title">{title}</span>
        <span className="chart-legend" ref={legendRef}>
          {series.map((s) => (
            <span key={s.key} className="legend-item">
              <i style={{ background: s.color }} aria-hidden="true" />
              {s.label}
            </span>
          ))}
          {refLines.map((r) => (
            <span key={r.label} className="legend-item">
              <i className="legend-dashed" aria-hidden="true" />
              {r.label}
            </span>
          ))}
        </span>
        <span className="chart-tools">
          {zoom && onZoom && (
            <button type="button" className="link" onClick={() => onZoom(null)} aria-label={`Reset zoom of ${title}`}>
              reset zoom
            </button>
          )}
          <button type="button" className="link" onClick={exportCsv} disabled={!hasData} aria-label={`Export ${title} data as CSV`}>
            CSV
          </button>
          <button type="button" className="link" onClick={exportSvg} disabled={!hasData} aria-label={`Export ${title} chart as SVG`}>
            SVG
          </button>
          <button type="button" className="link" onClick={exportPng} disabled={!hasData} aria-label={`Export ${title} chart as PNG`}>
            PNG
          </button>
        </span>
      </figcaption>
      <div className="chart-box" ref={boxRef} style={{ height }}>
        {width > 0 && (
          <svg
            ref={svgRef}
            width={width}
            height={height}
            role="img"
            aria-label={`${title} chart`}
            aria-describedby={summaryId}
            onPointerMove={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              const px = e.clientX - r.left - M.left;
              setHoverPx(px >= 0 && px <= innerW && hasData ? px : null);
            }}
            onPointerLeave={() => setHoverPx(null)}
            onDoubleClick={() => onZoom?.(null)}
          >
            <g transform={`translate(${M.left},${M.top})`}>
              <g className="axis" ref={xAxisRef} transform={`translate(0,${innerH})`} />
              <g className="axis" ref={yAxisRef} />
              <defs>
                <clipPath id={clipId}>
                  <rect width={innerW} height={innerH} />
                </clipPath>
              </defs>
              <g clipPath={`url(#${clipId})`}>
                {refLines.map((r) => (
                  <g key={r.label}>
                    <line className="ref-line" x1={0} x2={innerW} y1={y(r.y)} y2={y(r.y)} />
                    <text className="ref-label" x={innerW - 4} y={y(r.y) - 4} textAnchor="end">
                      {r.label}
                    </text>
                  </g>
                ))}
                {drawn.map((d) =>
                  d.faint ? <path key={`${d.series.key}-raw`} d={path(d.faint)} className="line faint" style={{ stroke: d.series.color }} /> : null,
                )}
                {drawn.map((d) => (
                  <path key={d.series.key} d={path(d.shown)} className="line" style={{ stroke: d.series.color }} data-series={d.series.key} data-points={d.series.x.length} />
                ))}
                {marker != null && Number.isFinite(marker) && (
                  <line className="marker" x1={x(marker)} x2={x(marker)} y1={0} y2={innerH} />
                )}
                {hover && <line className="hover-rule" data-export="skip" x1={hoverPx!} x2={hoverPx!} y1={0} y2={innerH} />}
              </g>
              <g ref={brushRef} className="brush" data-export="skip" />
            </g>
          </svg>
        )}
        {!hasData && (
          <div className="chart-empty" aria-hidden="true">
            {props.emptyText ?? 'No data yet'}
          </div>
        )}
        {hover && hover.rows.length > 0 && (
          <div className="chart-tooltip" style={{ left: Math.min(M.left + hoverPx! + 12, width - 170) }} role="status">
            <div className="muted">
              {xLabel} {format(',.0f')(hover.rows[0].x)}
            </div>
            {hover.rows.map((r) => (
              <div key={r.label}>
                <i style={{ background: r.color }} aria-hidden="true" /> {r.label}: <b>{Number.isFinite(r.y) ? fmt(r.y) : String(r.y)}</b>
              </div>
            ))}
          </div>
        )}
      </div>
      {/* The chart in words (its image's description): current, but not live, so it is read when asked. */}
      <p className={hasData ? 'chart-summary' : 'visually-hidden'} id={summaryId} data-testid={props.testId && `${props.testId}-summary`}>
        {summary}
      </p>
    </figure>
  );
}
