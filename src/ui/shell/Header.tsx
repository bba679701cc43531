/** App name, the backend in use and why, and the backend override. */
import type { BackendChoice } from '../../shared/protocol';
import { setBackend } from '../train/run-actions';
import { useStore } from '../store';
import './shell.css';

const CHOICES: { value: BackendChoice; label: string }[] = [
  { value: 'auto', label: 'auto (fastest here)' },
  { value: 'webgpu', label: 'WebGPU' },
  { value: 'wasm', label: 'WebAssembly' },
  { value: 'webgl', label: 'WebGL' },
  { value: 'cpu', label: 'plain JS (CPU)' },
];

function BackendBadge() {
  const b = useStore((s) => s.backend);
  const ready = useStore((s) => s.workerReady);
  if (!b) {
    return (
      <span className="backend-badge pending" role="status" data-testid="backend-badge">
        {ready ? 'backend…' : 'starting the engine…'}
      </span>
    );
  }
  const details = [b.adapter && `adapter: ${b.adapter}`, b.threads && `${b.threads} thread${b.threads > 1 ? 's' : ''}`].filter(Boolean).join(', ');
  return (
    <span className={`backend-badge be-${b.name}`} role="status" data-testid="backend-badge" title={`${b.reason}${details ? ` (${details})` : ''}`}>
      <b>{b.name}</b>
      <span className="reason">{b.reason}</span>
    </span>
  );
}

export function Header() {
  const choice = useStore((s) => s.backendChoice);
  const openShortcuts = useStore((s) => s.setShortcutsOpen);
  const running = useStore((s) => s.progress?.state === 'running');
  return (
    <header className="app-header">
      <h1>
        dinolab <span className="tagline">self-supervised ViT training (DINO) in your browser</span>
      </h1>
      <div className="header-right">
        <BackendBadge />
        <label className="backend-select">
          <span className="visually-hidden">Compute backend</span>
          <select
            value={choice}
            disabled={running}
            title={running ? 'Pause training to switch the backend' : 'Which tfjs backend trains the model'}
            onChange={(e) => setBackend(e.target.value as BackendChoice)}
            aria-label="Compute backend"
          >
            {CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="icon" onClick={() => openShortcuts(true)} aria-label="Keyboard shortcuts" aria-keyshortcuts="?">
          ?
        </button>
      </div>
    </header>
  );
}
