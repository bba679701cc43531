/** Pick one dataset image: a searchable list by name and label, plus "random". */
import { useMemo, useState } from 'react';
import { useStore } from '../store';
import './common.css';

const MAX_OPTIONS = 300;

export function ImagePicker({ value, onPick, label }: { value: string | null; onPick: (id: string) => void; label: string }) {
  const images = useStore((s) => s.images);
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const hits = f ? images.filter((m) => m.name.toLowerCase().includes(f) || (m.label ?? '').toLowerCase().includes(f)) : images;
    return hits.slice(0, MAX_OPTIONS);
  }, [images, filter]);
  if (images.length === 0) return <p className="empty">The dataset is empty: add images in the Data tab.</p>;
  return (
    <div className="image-picker" role="group" aria-label={label}>
      <input type="search" placeholder="filter by name or label" value={filter} onChange={(e) => setFilter(e.target.value)} aria-label={`${label}: filter`} />
      <select value={value ?? ''} onChange={(e) => e.target.value && onPick(e.target.value)} aria-label={label}>
        <option value="">{shown.length < images.length ? `choose (first ${shown.length} matches)…` : 'choose…'}</option>
        {shown.map((m) => (
          <option key={m.id} value={m.id}>
            {m.name}
            {m.label ? ` — ${m.label}` : ''}
          </option>
        ))}
      </select>
      <button type="button" onClick={() => onPick(images[Math.floor(Math.random() * images.length)].id)}>
        Random
      </button>
    </div>
  );
}
