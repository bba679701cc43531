/** Which features to extract (network, resolution, baselines), the extraction's progress and cancel. */
import { cancelEvaluation, extractFeatures } from './eval-actions';
import { formatDuration } from './format';
import { useStore } from '../store';

export function FeaturesSection() {
  const network = useStore((s) => s.evalNetwork);
  const resolution = useStore((s) => s.evalResolution);
  const baselines = useStore((s) => s.evalBaselines);
  const setOptions = useStore((s) => s.setEvalOptions);
  const pending = useStore((s) => s.featurePending);
  const progress = useStore((s) => s.featureProgress);
  const error = useStore((s) => s.featureError);
  const summary = useStore((s) => s.features);
  const count = useStore((s) => s.images.length);
  const selected = useStore((s) => s.selection.size);
  const selectionOnly = useStore((s) => s.evalSelectionOnly);
  const hasModel = useStore((s) => (s.progress?.step ?? 0) > 0 || s.weightsReport !== null || s.configured !== null);

  return (
    <section className="eval-section" aria-labelledby="eval-features-title">
      <h3 id="eval-features-title" className="section-title">Features</h3>
      <p className="muted">
        CLS features of every dataset image after the write-up's eval transform: Resize(resolution × 256 / 224, bicubic, as PIL) →
        CenterCrop(resolution) → ImageNet normalisation. Computed in the worker and kept in the browser (IndexedDB) per weights, image and
        transform.
      </p>
      <div className="eval-controls">
        <label>
          network{' '}
          <select value={network} onChange={(e) => setOptions({ evalNetwork: e.target.value as 'teacher' | 'student' })}>
            <option value="teacher">teacher</option>
            <option value="student">student</option>
          </select>
        </label>
        <label>
          resolution{' '}
          <input
            type="number"
            min={8}
            max={1024}
            step={1}
            value={resolution}
            aria-label="resolution (px)"
            onChange={(e) => setOptions({ evalResolution: Math.round(Number(e.target.value)) || 224 })}
          />{' '}
          px
        </label>
        <label className="inline-check">
          <input type="checkbox" checked={baselines} onChange={(e) => setOptions({ evalBaselines: e.target.checked })} /> baselines (raw pixels, randomly
          initialised ViT)
        </label>
        <label className="inline-check">
          <input type="checkbox" checked={selectionOnly && selected > 0} disabled={selected === 0} onChange={(e) => setOptions({ evalSelectionOnly: e.target.checked })} /> only the{' '}
          {selected} images selected on the Data tab
        </label>
        <button type="button" onClick={() => void extractFeatures()} disabled={pending || count === 0 || !hasModel}>
          {pending ? 'Extracting…' : 'Extract features'}
        </button>
        {pending && (
          <button type="button" onClick={cancelEvaluation}>
            Cancel
          </button>
        )}
      </div>
      {count === 0 && <p className="muted">Add images on the Data tab first.</p>}
      {count > 0 && !hasModel && <p className="muted">Train, or load weights, to have a model to evaluate.</p>}
      {pending && progress && (
        <div className="eval-progress" role="status" aria-label="feature extraction progress">
          <progress max={progress.total} value={progress.done} />
          <span>
            {progress.stage}: {progress.done} / {progress.total} images
            {progress.imagesPerSec > 0 && `, ${progress.imagesPerSec.toFixed(1)} images/s`}
            {progress.etaSeconds !== null && `, ${formatDuration(progress.etaSeconds)} left`}
          </span>
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {summary && !pending && (
        <p className="eval-summary" role="status" data-testid="feature-summary">
          {summary.count} images × {summary.dim} features from {summary.description}; {summary.seconds.toFixed(1)} s
          {summary.fromCache > 0 && ` (${summary.fromCache} from the cache)`}.
        </p>
      )}
    </section>
  );
}
