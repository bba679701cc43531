/** Where the run is: epoch, step, speed, ETA and the backend running it. */
import { formatCount, formatDuration, formatParams } from '../format';
import { useStore } from '../store';

export function ProgressPanel() {
  const p = useStore((s) => s.progress);
  const backend = useStore((s) => s.backend?.name);
  const paramCount = useStore((s) => s.configured?.paramCount ?? null);
  const workerCount = useStore((s) => s.workerDataset?.count ?? null);
  const fraction = p && p.totalSteps > 0 ? p.step / p.totalSteps : 0;

  return (
    <div className="progress-panel" data-testid="progress">
      <div className="progress-line">
        <progress
          max={1}
          value={fraction}
          aria-label="Training progress"
          aria-valuetext={p ? `step ${p.step} of ${p.totalSteps}` : 'not started'}
        />
        <span className={`state-pill state-${p?.state ?? 'idle'}`}>{p?.state ?? 'idle'}</span>
      </div>
      <dl className="stats">
        <div>
          <dt>Epoch</dt>
          <dd>{p ? `${Math.min(p.epoch + 1, p.epochs)} / ${p.epochs}` : '—'}</dd>
        </div>
        <div>
          <dt>Step</dt>
          <dd data-testid="step">{p ? `${formatCount(p.step)} / ${formatCount(p.totalSteps)}` : '—'}</dd>
        </div>
        <div>
          <dt>Images/s</dt>
          <dd>{p && p.imagesPerSec > 0 ? p.imagesPerSec.toFixed(1) : '—'}</dd>
        </div>
        <div>
          <dt>ms/step</dt>
          <dd>{p && p.msPerStep > 0 ? Math.round(p.msPerStep) : '—'}</dd>
        </div>
        <div>
          <dt>ETA</dt>
          <dd>{p && p.state === 'running' ? formatDuration(p.etaSeconds) : '—'}</dd>
        </div>
        <div>
          <dt>Backend</dt>
          <dd>{backend ?? '—'}</dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd>{paramCount !== null ? formatParams(paramCount) : '—'}</dd>
        </div>
        <div>
          <dt>Images in worker</dt>
          <dd>{workerCount !== null ? formatCount(workerCount) : '—'}</dd>
        </div>
      </dl>
    </div>
  );
}
