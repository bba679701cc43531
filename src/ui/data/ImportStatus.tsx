/** Import progress (count / total, cancellable) and the files that were skipped, with reasons. */
import { cancelImport } from './dataset-actions';
import { useStore } from '../store';

export function ImportStatus() {
  const progress = useStore((s) => s.importProgress);
  const skipped = useStore((s) => s.skipped);
  const clearSkipped = useStore((s) => s.clearSkipped);
  return (
    <>
      {progress && (
        <div className="import-progress" role="status" data-testid="import-progress">
          <span>
            Importing {progress.what}: {progress.done} / {progress.total}
          </span>
          <progress max={progress.total} value={progress.done} aria-label={`Importing ${progress.what}`} />
          <button type="button" className="link" onClick={cancelImport}>
            cancel
          </button>
        </div>
      )}
      {skipped.length > 0 && (
        <details className="skipped" open data-testid="skipped">
          <summary>
            {skipped.length} file{skipped.length > 1 ? 's' : ''} skipped
            <button type="button" className="link" onClick={clearSkipped}>
              dismiss
            </button>
          </summary>
          <ul>
            {skipped.slice(-200).map((line, i) => (
              <li key={i}>{line}</li>
            ))}
          </ul>
          {skipped.length > 200 && <p className="muted">… showing the last 200</p>}
        </details>
      )}
    </>
  );
}
