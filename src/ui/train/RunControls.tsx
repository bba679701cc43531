/** Start / pause / resume / step / stop, with the reason Start is disabled and the shortcuts. */
import { useStore } from '../store';
import { isActive, pauseRun, resumeRun, startBlocker, startRun, stepRun, stopRun } from './run-actions';

export function RunControls() {
  const state = useStore((s) => s.progress?.state ?? 'idle');
  const step = useStore((s) => s.progress?.step ?? 0);
  const blocker = useStore((s) => startBlocker(s));
  const experiment = useStore((s) => s.experimentStatus === 'running');
  const active = isActive(state);
  // One button that becomes Start, Pause or Resume: it stays the same element, so keyboard focus
  // stays on it as the run starts and pauses.
  const main =
    state === 'running'
      ? { label: '❚❚ Pause', onClick: pauseRun, disabled: experiment, primary: false, testId: 'pause' }
      : state === 'paused'
        ? { label: '▶ Resume', onClick: resumeRun, disabled: experiment, primary: true, testId: 'resume' }
        : { label: '▶ Start', onClick: startRun, disabled: blocker !== null, primary: true, testId: 'start' };

  return (
    <div className="run-controls" role="group" aria-label="Run controls">
      <button
        type="button"
        className={main.primary ? 'primary' : undefined}
        onClick={main.onClick}
        disabled={main.disabled}
        aria-keyshortcuts="Space"
        aria-describedby={!active && blocker ? 'start-blocker' : undefined}
        data-testid={main.testId}
      >
        {main.label}
      </button>
      <button
        type="button"
        onClick={stepRun}
        disabled={experiment || !(state === 'paused' || (state === 'idle' && blocker === null))}
        aria-keyshortcuts="."
        title="One training step (.)"
        data-testid="step-once"
      >
        Step
      </button>
      <button type="button" onClick={stopRun} disabled={!active || experiment} aria-keyshortcuts="Shift+X" title="Stop the run (Shift+X)" data-testid="stop">
        ■ Stop
      </button>
      {state === 'stopped' && (
        <span className="note" role="note" data-testid="stopped-note">
          Stopped at step {step}: kept only to export (Export tab) and inspect, and forgotten on reload. Start begins a new run.
        </span>
      )}
      {!active && blocker && (
        <span id="start-blocker" className="blocker" role="note">
          {blocker}
        </span>
      )}
    </div>
  );
}
