/** The image to inspect: any dataset image, or one dropped/picked only for inspection. */
import { useRef, useState } from 'react';
import { inspectDatasetImage, inspectFile } from '../attention-actions';
import { ImagePicker } from '../common/ImagePicker';
import { useStore } from '../store';

export function SourcePicker() {
  const source = useStore((s) => s.attentionSource);
  const photos = useStore((s) => s.images.filter((m) => m.id.startsWith('demo-photo-')).length > 0);
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  return (
    <div
      className={`source-picker${over ? ' over' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        const f = e.dataTransfer.files[0];
        if (f) void inspectFile(f);
      }}
      data-testid="inspect-drop"
    >
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
