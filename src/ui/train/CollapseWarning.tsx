/** A plain-language warning when the entropy and KL curves show collapse. */
import { detectCollapse } from './collapse';
import { CHART_REDRAW_MS, useFrameThrottled } from '../charts/hooks';
import { useRunK } from './MetricCharts';

export function CollapseWarning() {
  const K = useRunK();
  const diagnosis = useFrameThrottled((s) => {
    const m = s.metrics;
    return detectCollapse(m.column('step'), m.column('kl'), m.column('teacherEntropy'), Math.log(K));
  }, CHART_REDRAW_MS);
  if (!diagnosis) return null;
  return (
    <div className="banner warn" role="alert" data-testid="collapse-warning">
      <strong>Collapse since step {diagnosis.sinceStep}.</strong> {diagnosis.message}{' '}
      <span className="muted">
        (KL &lt; 0.01 for 20+ steps, teacher entropy {diagnosis.entropy.toFixed(2)} of ln K = {Math.log(K).toFixed(2)})
      </span>
    </div>
  );
}
