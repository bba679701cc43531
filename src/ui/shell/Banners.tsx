/** Run-level banners: divergence (with roll-back) and a run resumed after a reload. */
import { restoreCheckpoint } from '../train/run-actions';
import { useStore } from '../store';

export function DivergedBanner() {
  const d = useStore((s) => s.diverged);
  const dismiss = useStore((s) => s.setDiverged);
  if (!d) return null;
  return (
    <div className="banner error" role="alert" data-testid="diverged">
      <strong>Loss became NaN at step {d.step}; training paused.</strong> <span className="muted">{d.message}</span>{' '}
      {d.canRollBack ? (
        <button type="button" className="primary" onClick={() => void restoreCheckpoint(null)}>
          Roll back to last good checkpoint
        </button>
      ) : (
        <span className="muted">No good checkpoint is stored yet: lower the learning rate and start again.</span>
      )}
      <button type="button" className="icon" onClick={() => dismiss(null)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

export function ResumedBanner() {
  const step = useStore((s) => s.resumedAt);
  const dismiss = useStore((s) => s.setResumedAt);
  if (step === null) return null;
  return (
    <div className="banner info" role="status" data-testid="resumed">
      Resumed run at step {step}. Press Resume (or Space) in the Train tab to continue.
      <button type="button" className="icon" onClick={() => dismiss(null)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}
