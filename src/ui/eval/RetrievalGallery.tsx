/** The images nearest to a clicked one in feature space (cosine or Euclidean), with their distances. */
import { inspectRow, showNeighbors } from './eval-actions';
import { useStore } from '../store';
import { thumbUrl } from '../data/thumbs';

export function RetrievalGallery() {
  const features = useStore((s) => s.features);
  const nb = useStore((s) => s.neighbors);
  if (!features || !nb) return null;
  const label = (row: number) => (features.labels[row] >= 0 ? features.classNames[features.labels[row]] : 'unlabelled');
  const cell = (row: number, caption: string) => {
    const url = thumbUrl(features.ids[row]);
    return (
      <figure key={row} className="retrieval-item">
        <button type="button" onClick={() => void inspectRow(row)} title="open in the attention inspector">
          {url ? <img src={url} alt={label(row)} width={88} height={88} /> : <span className="muted">image {row}</span>}
        </button>
        <figcaption>
          {label(row)}
          <br />
          <span className="muted">{caption}</span>
        </figcaption>
      </figure>
    );
  };
  return (
    <section className="eval-section" aria-labelledby="eval-retrieval-title" data-testid="retrieval">
      <h3 id="eval-retrieval-title" className="section-title">Nearest neighbours</h3>
      <div className="eval-controls">
        {(['cosine', 'euclidean'] as const).map((m) => (
          <label key={m} className="inline-check">
            <input type="radio" name="retrieval-metric" checked={nb.metric === m} onChange={() => void showNeighbors(nb.index, nb.indices.length, m)} /> {m}
          </label>
        ))}
      </div>
      <div className="retrieval-row">
        {cell(nb.index, 'query')}
        {Array.from(nb.indices, (row, j) => cell(row, `${nb.metric === 'cosine' ? '1 − cos' : 'distance'} ${nb.distances[j].toFixed(3)}`))}
      </div>
    </section>
  );
}
