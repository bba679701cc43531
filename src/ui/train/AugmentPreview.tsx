/** One multi-crop sample of an image with the current augmentation config, drawn by the worker. */
import { useMemo } from 'react';
import { validateConfig } from '../../shared/config';
import { previewAugmentations } from './augment-actions';
import { issueLabels } from './config-fields';
import { ImagePicker } from '../common/ImagePicker';
import { PixelCanvas } from '../common/PixelCanvas';
import { useStore } from '../store';

/** Displayed px per crop px: global crops show at about 160 px, local crops at the same scale. */
const DISPLAY_GLOBAL = 160;

export function AugmentPreview() {
  const preview = useStore((s) => s.augmentPreview);
  const pending = useStore((s) => s.augmentPending);
  const config = useStore((s) => s.config);
  // The worker draws crops only for a valid config; name what to fix as the form names it.
  const fix = useMemo(() => issueLabels(validateConfig(config)), [config]);
  const globalSize = config.augment.globalSize;
  const scale = DISPLAY_GLOBAL / globalSize;
  let g = 0;
  let l = 0;
  return (
    <section className="augment-preview" aria-label="Augmentation preview">
      <p className="intro">
        What the networks see: two <b>global</b> crops (teacher and student) and the <b>local</b> crops (student only), drawn with
        the augmentation settings on the left. Local crops are shown at the same scale as the global ones.
      </p>
      <div className="toolbar">
        <ImagePicker label="Image to augment" value={preview?.imageId ?? null} onPick={(id) => void previewAugmentations(id)} />
        <button type="button" disabled={!preview || pending} onClick={() => preview && void previewAugmentations(preview.imageId)}>
          New sample
        </button>
        {pending && <span className="spinner" role="status" aria-label="Drawing crops" />}
      </div>
      {fix.length > 0 && (
        <p className="field-error" role="alert">
          Fix {fix.join(', ')} to draw crops
        </p>
      )}
      {!preview && !pending && <p className="empty">Pick an image to draw a sample of its crops.</p>}
      {preview && (
        <p className="note">
          Sample of <b>{preview.name}</b>: {preview.kinds.filter((k) => k === 'global').length} global and{' '}
          {preview.kinds.filter((k) => k === 'local').length} local crops.
        </p>
      )}
      {preview && (
        <div className="crops" data-testid="crops">
          {preview.crops.map((c, i) => {
            const kind = preview.kinds[i];
            const name = kind === 'global' ? `global ${++g}` : `local ${++l}`;
            return (
              <figure key={i} className={`crop ${kind}`}>
                <PixelCanvas image={c} label={`${name} crop of ${preview.name}`} style={{ width: c.width * scale, height: c.height * scale }} className="pixelated" />
                <figcaption>
                  {name} <span className="muted">{c.width}×{c.height}</span>
                </figcaption>
              </figure>
            );
          })}
        </div>
      )}
    </section>
  );
}
