/** The image to inspect: any dataset image, or one dropped/picked only for inspection. */
import { useRef } from 'react';
import { inspectDatasetImage, inspectFile } from './attention-actions';
import { ImagePicker } from '../common/ImagePicker';
import { useFileDrop } from '../common/use-file-drop';
import { useStore } from '../store';

export function SourcePicker() {
  const source = useStore((s) => s.attentionSource);
  const photos = useStore((s) => s.images.filter((m) => m.id.startsWith('demo-photo-')).length > 0);
  const input = useRef<HTMLInputElement>(null);
  const { over, dropProps } = useFileDrop((data) => {
    const f = data.files[0];
    if (f) void inspectFile(f);
  });

  return (
    <div className={`source-picker${over ? ' over' : ''}`} {...dropProps} data-testid="inspect-drop">
      <ImagePicker label="Dataset image to inspect" value={source?.id ?? null} onPick={(id) => void inspectDatasetImage(id)} />
      {photos && (
        <span className="quick-photos">
          {['astronaut.png', 'chelsea.png', 'coffee.png', 'rocket.jpg'].map((p) => (
            <button key={p} type="button" className="link" onClick={() => void inspectDatasetImage(`demo-photo-${p}`)}>
              {p.replace(/\.\w+$/, '')}
            </button>
          ))}
        </span>
      )}
      <button type="button" onClick={() => input.current?.click()}>
        Inspect a file…
      </button>
      <span className="muted">or drop an image here (it is not added to the dataset)</span>
      <input
        ref={input}
        type="file"
        accept="image/*"
        hidden
        aria-label="Image file to inspect"
        onChange={(e) => {
          const f = e.target.files?.[0];
          if (f) void inspectFile(f);
          e.target.value = '';
        }}
      />
    </div>
  );
}
