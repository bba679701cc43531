/** Images per label; a chip filters the gallery. */
import { useMemo } from 'react';
import { useStore } from '../store';

export function LabelChips() {
  const images = useStore((s) => s.images);
  const filter = useStore((s) => s.labelFilter);
  const setFilter = useStore((s) => s.setLabelFilter);
  const counts = useMemo(() => {
    const m = new Map<string | null, number>();
    for (const img of images) m.set(img.label, (m.get(img.label) ?? 0) + 1);
    return [...m.entries()].sort((a, b) => (a[0] ?? '\uffff').localeCompare(b[0] ?? '\uffff'));
  }, [images]);
  if (images.length === 0) return null;
  return (
    <div className="chips" role="group" aria-label="Filter by label" data-testid="label-counts">
      <button type="button" className="chip" aria-pressed={filter === 'all'} onClick={() => setFilter('all')}>
        all <b>{images.length}</b>
      </button>
      {counts.map(([label, n]) => (
        <button key={label ?? '∅'} type="button" className="chip" aria-pressed={filter === label} onClick={() => setFilter(label)}>
          {label ?? <i>unlabelled</i>} <b>{n}</b>
        </button>
      ))}
    </div>
  );
}
