/** Worker errors and notices: errors stay until dismissed, notices fade after a few seconds. */
import { useEffect } from 'react';
import { useStore } from '../store';
import type { Toast } from '../store/ui';
import './shell.css';

function ToastItem({ t }: { t: Toast }) {
  const dismiss = useStore((s) => s.dismissToast);
  useEffect(() => {
    if (t.kind !== 'info') return;
    const id = setTimeout(() => dismiss(t.id), 6000);
    return () => clearTimeout(id);
  }, [t, dismiss]);
  return (
    <div className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${t.kind}`}>
      <span>{t.message}</span>
      <button type="button" className="icon" onClick={() => dismiss(t.id)} aria-label="Dismiss">
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const toasts = useStore((s) => s.toasts);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <ToastItem key={t.id} t={t} />
      ))}
    </div>
  );
}
