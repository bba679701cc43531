/**
 * Virtualised thumbnail grid: only the rows in view (plus a margin) are in the DOM, so tens of
 * thousands of images scroll smoothly. Click selects, Ctrl/Cmd-click toggles, Shift-click selects
 * a range.
 */
import { useMemo, useRef, useState } from 'react';
import { useSize } from '../charts/hooks';
import { useStore, type Store } from '../store';
import type { ImageMeta } from '../store/dataset';
import { thumbUrl } from './thumbs';

const CELL = 112; // px, thumbnail + caption + gap
const ROW = 132;
const OVERSCAN = 3;

export function visibleImages(s: Pick<Store, 'images' | 'labelFilter'>): ImageMeta[] {
  return s.labelFilter === 'all' ? s.images : s.images.filter((m) => m.label === s.labelFilter);
}

export function Gallery() {
  const images = useStore((s) => s.images);
  const filter = useStore((s) => s.labelFilter);
  const ready = useStore((s) => s.datasetReady);
  const selection = useStore((s) => s.selection);
  const setSelection = useStore((s) => s.setSelection);
  const shown = useMemo(() => visibleImages({ images, labelFilter: filter }), [images, filter]);
  const [boxRef, { width, height: viewH }] = useSize<HTMLDivElement>();
  const [scrollTop, setScrollTop] = useState(0);
  const anchor = useRef<number | null>(null);

  const cols = Math.max(1, Math.floor(width / CELL));
  const rows = Math.ceil(shown.length / cols);
  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(rows, Math.ceil((scrollTop + viewH) / ROW) + OVERSCAN);

  const click = (index: number, e: React.MouseEvent) => {
    const id = shown[index].id;
    let next: Set<string>;
    if (e.shiftKey && anchor.current !== null) {
      next = new Set(selection);
      const [a, b] = [Math.min(anchor.current, index), Math.max(anchor.current, index)];
      for (let i = a; i <= b; i++) next.add(shown[i].id);
    } else if (e.ctrlKey || e.metaKey) {
      next = new Set(selection);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      anchor.current = index;
    } else {
      next = selection.size === 1 && selection.has(id) ? new Set() : new Set([id]);
      anchor.current = index;
    }
    setSelection(next);
  };

  return (
    <div
      className="gallery"
      ref={boxRef}
      data-testid="gallery"
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      {!ready && <p className="empty">Reading the stored dataset…</p>}
      {ready && shown.length === 0 && (
        <p className="empty">{images.length === 0 ? 'No images yet: drop some above, or load the demo dataset.' : 'No image has this label.'}</p>
      )}
      <div className="gallery-inner" style={{ height: rows * ROW }} role="list" aria-label="Dataset images">
        {Array.from({ length: last - first }, (_, k) => {
          const r = first + k;
          return (
            <div key={r} className="gallery-row" style={{ transform: `translateY(${r * ROW}px)` }}>
              {shown.slice(r * cols, (r + 1) * cols).map((m, c) => {
                const index = r * cols + c;
                const url = thumbUrl(m.id);
                const name = `${m.name}${m.label ? `, label ${m.label}` : ', unlabelled'}, ${m.width}×${m.height}`;
                // A list item holding a toggle button: a button cannot be a list item and still say
                // whether it is pressed (selected).
                return (
                  <div key={m.id} role="listitem" aria-label={name} className="thumb-cell">
                    <button
                      type="button"
                      className="thumb"
                      aria-pressed={selection.has(m.id)}
                      aria-label={name}
                      title={`${m.name} (${m.width}×${m.height})`}
                      data-testid="gallery-item"
                      onClick={(e) => click(index, e)}
                    >
                      {url ? <img src={url} alt="" loading="lazy" draggable={false} /> : <span className="no-thumb" />}
                      <span className="thumb-label">{m.label ?? m.name}</span>
                    </button>
                  </div>
                );
              })}
            </div>
          );
        })}
      </div>
    </div>
  );
}
