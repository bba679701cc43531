/** Smoothing, zoom reset and the export of every metric as one CSV. */
import { METRIC_FIELDS } from '../../shared/protocol';
import { columnsToCsv } from '../charts/csv';
import { download } from '../common/download';
import { useStore } from '../store';

function exportAllMetrics(): void {
  const m = useStore.getState().metrics;
  download(columnsToCsv([...METRIC_FIELDS], METRIC_FIELDS.map((f) => m.column(f))), 'dinolab-metrics.csv', 'text/csv');
}

export function ChartToolbar() {
  const smoothing = useStore((s) => s.smoothing);
  const setSmoothing = useStore((s) => s.setSmoothing);
  const zoom = useStore((s) => s.zoom);
  const setZoom = useStore((s) => s.setZoom);
  const rows = useStore((s) => s.metrics.length);
  return (
    <div className="toolbar chart-toolbar">
      <label>
        Smoothing
        <input type="range" min={0} max={0.99} step={0.01} value={smoothing} onChange={(e) => setSmoothing(Number(e.target.value))} aria-valuetext={`EMA weight ${smoothing}`} />
        <output>{smoothing.toFixed(2)}</output>
      </label>
      <span className="muted">Drag across a chart to zoom, double-click to reset.</span>
      {zoom && (
        <button type="button" onClick={() => setZoom(null)}>
          Reset zoom (steps {Math.round(zoom[0])}–{Math.round(zoom[1])})
        </button>
      )}
      <button type="button" onClick={exportAllMetrics} disabled={rows === 0}>
        Export all metrics (CSV)
      </button>
    </div>
  );
}
