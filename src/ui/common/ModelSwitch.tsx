/**
 * Names the model a view shows (the run at its step, or the loaded weights' file) and, when both
 * exist, switches between them: the one control for every view that reads a model.
 */
import type { ModelSource } from '../../shared/protocol';
import { inspectSource } from '../train/run-actions';
import { useStore } from '../store';
import './common.css';

export function ModelSwitch() {
  const { source, weightsFile } = useStore((s) => s.inspecting);
  const step = useStore((s) => s.progress?.step ?? 0);
  const hasRun = useStore((s) => s.progress !== null && s.progress.state !== 'idle');
  const runName = `run at step ${step}`;
  const weightsName = weightsFile ? `weights ${weightsFile}` : null;
  if (source === null) return <span className="model-switch muted" data-testid="model-name">no model yet</span>;
  if (!hasRun || !weightsName) {
    return (
      <span className="model-switch" data-testid="model-name">
        Model: <b>{source === 'weights' ? weightsName : runName}</b>
      </span>
    );
  }
  return (
    <label className="model-switch">
      Model:{' '}
      <select value={source} onChange={(e) => inspectSource(e.target.value as ModelSource)} aria-label="Model shown" data-testid="model-name">
        <option value="run">{runName}</option>
        <option value="weights">{weightsName}</option>
      </select>
    </label>
  );
}
