/** Weights tab: load a .pth/.safetensors or a Hub model, and read what the worker recognised. */
import { useRef, useState } from 'react';
import { useFileDrop } from '../common/use-file-drop';
import { formatBytes } from '../common/format';
import { useStore } from '../store';
import { WEIGHT_EXTENSIONS, acceptPendingWeights, adoptArchitecture, cancelDownload, loadFromHub, loadWeightsFile, reloadWithHeads } from './weights-actions';
import './weights.css';

function LoadProgress() {
  const l = useStore((s) => s.weightsLoading);
  if (!l) return null;
  return (
    <div className="import-progress" role="status" data-testid="weights-progress">
      <span>
        {l.phase === 'download' ? 'Downloading' : 'Reading'} {l.what}: {formatBytes(l.loaded)}
        {l.total ? ` / ${formatBytes(l.total)}` : ''}
      </span>
      {l.total ? <progress max={l.total} value={l.loaded} /> : <progress />}
      {l.phase === 'download' && (
        <button type="button" className="link" onClick={cancelDownload}>
          cancel
        </button>
      )}
    </div>
  );
}

function Report() {
  const r = useStore((s) => s.weightsReport);
  const model = useStore((s) => s.config.model);
  if (!r) return <p className="empty">No weights loaded: the run starts from a fresh initialisation.</p>;
  const a = r.arch;
  const grid = a.imgSize / a.patchSize;
  const matches = model.patchSize === a.patchSize && model.embedDim === a.embedDim && model.depth === a.depth && model.numHeads === a.numHeads;
  return (
    <section className="report" aria-label="Loaded weights" data-testid="weights-report">
      <h3>{r.fileName}</h3>
      <dl className="stats">
        <div>
          <dt>Layout</dt>
          <dd>{r.layout}</dd>
        </div>
        <div>
          <dt>Patch</dt>
          <dd>{a.patchSize} px</dd>
        </div>
        <div>
          <dt>Width</dt>
          <dd>{a.embedDim}</dd>
        </div>
        <div>
          <dt>Depth</dt>
          <dd>{a.depth}</dd>
        </div>
        <div>
          <dt>Heads</dt>
          <dd>
            {a.numHeads} <span className="muted">(head width {a.embedDim / a.numHeads})</span>
          </dd>
        </div>
        <div>
          <dt>Position grid</dt>
          <dd>
            {grid}×{grid} ({a.imgSize} px)
          </dd>
        </div>
        <div>
          <dt>Projection head</dt>
          <dd>{r.hasHead ? 'included' : 'not included (fresh head)'}</dd>
        </div>
      </dl>
      <details open={r.missing.length > 0}>
        <summary>
          {r.missing.length} missing key{r.missing.length === 1 ? '' : 's'}
        </summary>
        <ul className="keys">
          {r.missing.map((k) => (
            <li key={k}>{k}</li>
          ))}
        </ul>
      </details>
      <details>
        <summary>
          {r.unexpected.length} unexpected key{r.unexpected.length === 1 ? '' : 's'} (ignored)
        </summary>
        <ul className="keys">
          {r.unexpected.map((k) => (
            <li key={k}>{k}</li>
          ))}
        </ul>
      </details>
      {r.nonFinite.length > 0 && (
        <div className="banner warn" role="alert" data-testid="weights-nonfinite">
          <p>
            {r.pending ? 'Not loaded: ' : 'Loaded although '}these weights hold NaN or infinite values, which make every
            output NaN:
          </p>
          <ul className="keys">
            {r.nonFinite.map((k) => (
              <li key={k}>{k}</li>
            ))}
          </ul>
          {r.pending && (
            <button type="button" onClick={() => void acceptPendingWeights()}>
              Load them anyway
            </button>
          )}
        </div>
      )}
      {r.pending ? null : matches ? (
        <p className="note">The run's model matches these weights; tick “start from” in the Train tab to fine-tune them.</p>
      ) : (
        <button type="button" className="primary" onClick={adoptArchitecture}>
          Use this architecture for the run
        </button>
      )}
    </section>
  );
}

/** The loader's question for a backbone whose number of heads its shapes cannot tell. */
function HeadsQuestion() {
  const [heads, setHeads] = useState('');
  const n = Number(heads);
  const ok = Number.isInteger(n) && n > 0;
  return (
    <form
      className="toolbar"
      data-testid="heads-question"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) void reloadWithHeads(n);
      }}
    >
      <label>
        How many attention heads does this model have?{' '}
        <input className="num" inputMode="numeric" value={heads} onChange={(e) => setHeads(e.target.value.trim())} aria-label="Number of attention heads" />
      </label>
      <button type="submit" className="primary" disabled={!ok}>
        Load with these heads
      </button>
      <span className="muted">dinolab's own checkpoint.pth and safetensors exports record it; bare backbones do not.</span>
    </form>
  );
}

export function WeightsPanel() {
  const loading = useStore((s) => s.weightsLoading !== null);
  const error = useStore((s) => s.weightsError);
  const input = useRef<HTMLInputElement>(null);
  const [hubId, setHubId] = useState('facebook/dino-vits8');
  const [heads, setHeads] = useState('');
  const headsHint = /^\d+$/.test(heads) && Number(heads) > 0 ? Number(heads) : undefined;
  const { over, dropProps } = useFileDrop((data) => {
    const f = data.files[0];
    if (f) void loadWeightsFile(f, headsHint);
  });

  return (
    <div className="weights-layout">
      <div className={`dropzone${over ? ' over' : ''}`} {...dropProps}>
        <p className="drop-title">Drop a .pth or .safetensors file</p>
        <p className="muted">
          An official DINO backbone or checkpoint (e.g. dino_deitsmall8_pretrain.pth), a Hugging Face ViT, or a dinolab checkpoint.
        </p>
        <div className="toolbar">
          <button type="button" disabled={loading} onClick={() => input.current?.click()}>
            Choose a weights file…
          </button>
          <label title="Shapes do not tell the number of heads: the official ViT-T/S/B shapes use width / 64; for any other backbone the loader asks, unless it is given here">
            Heads
            <input
              className="num"
              inputMode="numeric"
              placeholder="auto"
              value={heads}
              onChange={(e) => setHeads(e.target.value.trim())}
              aria-label="Number of attention heads (optional)"
            />
          </label>
        </div>
        <input
          ref={input}
          type="file"
          hidden
          accept={WEIGHT_EXTENSIONS.join(',')}
          aria-label="Weights file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void loadWeightsFile(f, headsHint);
            e.target.value = '';
          }}
        />
      </div>
      <form
        className="hub-form"
        onSubmit={(e) => {
          e.preventDefault();
          void loadFromHub(hubId);
        }}
      >
        <label htmlFor="hub-id">Hugging Face model</label>
        <input id="hub-id" value={hubId} onChange={(e) => setHubId(e.target.value)} placeholder="facebook/dino-vits8" spellCheck={false} />
        <button type="submit" disabled={loading || hubId.trim() === ''}>
          Download
        </button>
        <span className="muted">Fetches config.json and model.safetensors from huggingface.co.</span>
      </form>
      <LoadProgress />
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {error && /cannot tell the number of attention heads/.test(error) && <HeadsQuestion />}
      <Report />
    </div>
  );
}
