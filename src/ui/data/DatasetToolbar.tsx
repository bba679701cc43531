/** Actions on the dataset: selection, removal, clear all (confirmed inline), demo, and what to do next. */
import { useState } from 'react';
import { inspectDatasetImage } from '../attention/attention-actions';
import { previewAugmentations } from '../train/augment-actions';
import { clearAllImages, removeImages } from './dataset-actions';
import { loadDemo, SAMPLES_CREDITS_URL } from './demo';
import { useStore } from '../store';
import { visibleImages } from './Gallery';

export function DatasetToolbar() {
  const count = useStore((s) => s.images.length);
  const selection = useStore((s) => s.selection);
  const setSelection = useStore((s) => s.setSelection);
  const setTab = useStore((s) => s.setTab);
  const importing = useStore((s) => s.importProgress !== null);
  const [confirming, setConfirming] = useState(false);
  const selected = [...selection];

  return (
    <div className="toolbar dataset-toolbar">
      <span className="count" data-testid="image-count">
        {count} image{count === 1 ? '' : 's'}
        {selected.length > 0 && `, ${selected.length} selected`}
      </span>
      <button type="button" disabled={count === 0} onClick={() => setSelection(new Set(visibleImages(useStore.getState()).map((m) => m.id)))}>
        Select all shown
      </button>
      <button type="button" disabled={selected.length === 0} onClick={() => setSelection(new Set())}>
        Select none
      </button>
      <button type="button" disabled={selected.length === 0} onClick={() => void removeImages(selected)}>
        Remove selected
      </button>
      <button
        type="button"
        disabled={selected.length !== 1}
        onClick={() => {
          setTab('attention');
          void inspectDatasetImage(selected[0]);
        }}
      >
        Inspect attention
      </button>
      <button
        type="button"
        disabled={selected.length !== 1}
        onClick={() => {
          setTab('train');
          void previewAugmentations(selected[0]);
        }}
      >
        Preview crops
      </button>
      <span className="spacer" />
      <button type="button" disabled={importing} onClick={() => void loadDemo()}>
        {count === 0 ? 'Load the demo dataset' : 'Reload demo'}
      </button>
      <a href={SAMPLES_CREDITS_URL} target="_blank" rel="noreferrer" className="credits">
        photo credits
      </a>
      {!confirming ? (
        <button type="button" className="danger" disabled={count === 0 || importing} onClick={() => setConfirming(true)}>
          Clear all…
        </button>
      ) : (
        <span className="confirm" role="alertdialog" aria-label="Confirm clearing the dataset">
          Delete all {count} images from this browser?{' '}
          <button
            type="button"
            className="danger"
            autoFocus
            onClick={() => {
              setConfirming(false);
              void clearAllImages();
            }}
          >
            Delete all
          </button>
          <button type="button" onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </span>
      )}
    </div>
  );
}
