/** Live training curves: the loss against ln K, the collapse diagnostics, the center, speed, memory. */
import type { MetricField } from '../../shared/protocol';
import { LineChart, type ChartSeries } from '../charts/LineChart';
import { CHART_REDRAW_MS, useFrameThrottled } from '../charts/hooks';
import { useStore } from '../store';

export function useRunK(): number {
  return useStore((s) => s.configured?.config.head.outDim ?? s.config.head.outDim);
}

export function MetricCharts() {
  useFrameThrottled((s) => s.metricsVersion, CHART_REDRAW_MS);
  const metrics = useStore.getState().metrics;
  const smoothing = useStore((s) => s.smoothing);
  const zoom = useStore((s) => s.zoom);
  const setZoom = useStore((s) => s.setZoom);
  const K = useRunK();
  const lnK = Math.log(K);
  const steps = metrics.column('step');
  const col = (key: MetricField, label: string, color: string): ChartSeries => ({ key, label, x: steps, y: metrics.column(key), color });
  const lnKLine = [{ y: lnK, label: `ln K = ${lnK.toFixed(2)}` }];
  const knnHistory = useStore((s) => s.knnHistory);
  const knnSteps = knnHistory.map((p) => p.step);
  const common = { smoothing, zoom, onZoom: setZoom };

  if (steps.length === 0) {
    return (
      <div className="empty charts-empty" data-testid="charts-empty">
        No metrics yet. Press <b>Start</b> (or Space): the loss against ln K, the collapse diagnostics (teacher entropy and KL),
        the center norm, throughput and device memory are charted here as the run goes.
      </div>
    );
  }

  return (
    <div className="chart-grid">
      <LineChart {...common} title="DINO loss" fileName="loss" testId="chart-loss" series={[col('loss', 'loss', 'var(--c-loss)')]} refLines={lnKLine} />
      <LineChart
        {...common}
        title="Collapse diagnostics: teacher entropy and KL"
        fileName="entropy-kl"
        testId="chart-entropy"
        series={[col('teacherEntropy', 'teacher entropy H(Pt)', 'var(--c-entropy)'), col('kl', 'KL(Pt‖Ps)', 'var(--c-kl)')]}
        refLines={lnKLine}
      />
      {knnHistory.length > 0 && (
        <LineChart
          {...common}
          smoothing={0}
          title="k-NN accuracy (teacher, official eval_knn rule, k 20)"
          fileName="knn-monitor"
          testId="chart-knn"
          yFormat=".1f"
          // The latest value as a labelled line: visible from the first point on.
          refLines={[{ y: knnHistory[knnHistory.length - 1].top1, label: `top-1 ${knnHistory[knnHistory.length - 1].top1.toFixed(1)} % (epoch ${knnHistory[knnHistory.length - 1].epoch})` }]}
          series={[
            { key: 'knnTop1', label: 'top-1 %', x: knnSteps, y: knnHistory.map((p) => p.top1), color: 'var(--c-loss)', raw: true },
            { key: 'knnTop5', label: 'top-5 %', x: knnSteps, y: knnHistory.map((p) => p.top5), color: 'var(--c-kl)', raw: true },
          ]}
        />
      )}
      <LineChart {...common} title="Center norm ‖c‖" fileName="center-norm" series={[col('centerNorm', '‖c‖', 'var(--c-center)')]} />
      <LineChart
        {...common}
        title="Throughput"
        fileName="throughput"
        yFormat=",.3~r"
        series={[col('imagesPerSec', 'images/s', 'var(--c-speed)')]}
      />
      <LineChart {...common} title="Time per step" fileName="ms-per-step" yFormat=",.4~r" series={[col('msPerStep', 'ms/step', 'var(--c-time)')]} />
      <LineChart {...common} smoothing={0} title="Device memory: tensors" fileName="tensors" yFormat=",.0f" series={[col('numTensors', 'tensors', 'var(--c-mem)')]} />
      <LineChart {...common} smoothing={0} title="Device memory: bytes" fileName="bytes" yFormat=".3~s" series={[col('numBytes', 'bytes', 'var(--c-mem2)')]} />
    </div>
  );
}
