/** Where the run is: epoch, step, speed, ETA and the backend running it. */
import { formatCount, formatDuration, formatParams } from '../common/format';
import type { MemoryReadout } from '../../shared/protocol';
import { useStore } from '../store';

const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/** "1.23 GiB of 3.50 GiB": the heap the backend holds (wasm) or its live tensors, and its limit. */
function memoryText(m: MemoryReadout): string {
  const used = m.heapBytes ?? m.tensorBytes;
  return m.limitBytes ? `${gib(used)} of ${gib(m.limitBytes)}` : gib(used);
}

function memoryTitle(m: MemoryReadout): string {
  const heap = m.heapBytes !== null ? `; the wasm heap has grown to ${gib(m.heapBytes)} (it never shrinks)` : '';
  const limit = m.limitBytes ? `; a run may use ${gib(m.limitBytes)} on this backend` : '; this backend states no limit';
  return `Live tensors between steps: ${gib(m.tensorBytes)}${heap}${limit}.`;
}

export function ProgressPanel() {
  const p = useStore((s) => s.progress);
  const backend = useStore((s) => s.backend);
  const batch = useStore((s) => s.configured?.config.train.batchSize ?? null);
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
          <dd data-testid="runtime-backend">{backend ? `${backend.name}${backend.threads ? `, ${backend.threads} thread${backend.threads > 1 ? 's' : ''}` : ''}` : '—'}</dd>
        </div>
        <div>
          <dt>Memory</dt>
          <dd data-testid="runtime-memory" title={p ? memoryTitle(p.memory) : undefined}>
            {p ? memoryText(p.memory) : '—'}
          </dd>
        </div>
        <div>
          <dt>Micro-batches</dt>
          <dd data-testid="runtime-micro-batch" title="Images per student pass: a step split into micro-batches sums their gradients, so it equals the whole batch.">
            {p && p.microBatch > 0 && batch ? (p.microBatch < batch ? `${Math.ceil(batch / p.microBatch)} × ${p.microBatch}` : `whole batch (${batch})`) : '—'}
          </dd>
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
