/**
 * Views beyond the last block's CLS row: the first three principal components of the patch tokens
 * as RGB (background removed by thresholding the first), and attention rollout across all blocks
 * with a choice of head fusion and discard ratio.
 */
import * as d3 from 'd3';
import { useLayoutEffect, useRef, useState } from 'react';
import { headEntropies, headJaccard } from '../../shared/head-stats';
import type { AttentionResult, PatchViewsResult } from '../../shared/protocol';
import { modelPatch } from './attention-actions';
import { attentionSize } from './attention-view';
import { useStore } from '../store';
import { client } from '../worker/worker-client';

const DISPLAY = 224;

function GridCanvas({ rgba, grid, label, testId }: { rgba: Uint8ClampedArray<ArrayBuffer>; grid: [number, number]; label: string; testId: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useLayoutEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(rgba, grid[1], grid[0]), 0, 0);
  }, [rgba, grid]);
  const scale = DISPLAY / Math.max(grid[0], grid[1]);
  return (
    <canvas
      ref={ref}
      width={grid[1]}
      height={grid[0]}
      role="img"
      aria-label={label}
      data-testid={testId}
      style={{ width: grid[1] * scale, height: grid[0] * scale, imageRendering: 'pixelated' }}
    />
  );
}

function pcaRgba(r: PatchViewsResult): Uint8ClampedArray<ArrayBuffer> {
  const p = r.grid[0] * r.grid[1];
  const out = new Uint8ClampedArray(p * 4);
  for (let i = 0; i < p; i++) {
    out.set([r.pcaRgb[3 * i], r.pcaRgb[3 * i + 1], r.pcaRgb[3 * i + 2], 255], 4 * i);
  }
  return out;
}

function rolloutRgba(r: PatchViewsResult): Uint8ClampedArray<ArrayBuffer> {
  const out = new Uint8ClampedArray(r.rollout.length * 4);
  r.rollout.forEach((v, i) => {
    const c = d3.rgb(d3.interpolateInferno(v));
    out.set([c.r, c.g, c.b, 255], 4 * i);
  });
  return out;
}

/** Entropy of each head's map and, with a patch-PCA foreground of the same grid, the Jaccard index of its mask. */
function HeadStats({ attention, patches, threshold }: { attention: AttentionResult; patches: PatchViewsResult | null; threshold: number }) {
  const entropy = headEntropies(attention.maps, attention.heads);
  const sameGrid = patches !== null && patches.grid[0] === attention.grid[0] && patches.grid[1] === attention.grid[1];
  const jaccard = sameGrid ? headJaccard(attention.maps, attention.heads, threshold, patches.foreground) : null;
  const uniform = Math.log(attention.grid[0] * attention.grid[1]);
  return (
    <table className="knn-table" data-testid="head-stats" aria-label="per-head statistics">
      <caption>
        Per head ({attention.network}, block {attention.block}): attention entropy in nats (uniform = {uniform.toFixed(2)})
        {jaccard ? `, and the Jaccard index of its top-${Math.round(threshold * 100)} % mask with the patch-PCA foreground` : '; compute patch PCA for the Jaccard index with its foreground'}
      </caption>
      <thead>
        <tr>
          <th scope="col">head</th>
          <th scope="col">entropy</th>
          {jaccard && <th scope="col">Jaccard</th>}
        </tr>
      </thead>
      <tbody>
        {Array.from(entropy, (e, h) => (
          <tr key={h}>
            <th scope="row">{h}</th>
            <td>{e.toFixed(2)}</td>
            {jaccard && <td>{jaccard[h].toFixed(2)}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PatchViews() {
  const source = useStore((s) => s.attentionSource);
  const settings = useStore((s) => s.attentionSettings);
  const attention = useStore((s) => s.attentionResult);
  const [fusion, setFusion] = useState<'mean' | 'max' | 'min'>('mean');
  const [discard, setDiscard] = useState(0.9);
  const [result, setResult] = useState<PatchViewsResult | null>(null);
  /** What the shown views were computed from, for their accessible names. */
  const [of, setOf] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!source) return null;

  const compute = async () => {
    setPending(true);
    setError(null);
    try {
      const r = await client.request<'patchViews'>({
        type: 'patchViews',
        request: {
          image: { ...source.image, pixels: source.image.pixels.slice() },
          size: attentionSize(source.image.width, source.image.height, settings.resolution, settings.aspect, modelPatch()),
          network: settings.network,
          fusion,
          discardRatio: discard,
        },
      });
      setResult(r.result);
      setOf(`${settings.network}, ${source.name}`);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setPending(false);
    }
  };

  const fg = result ? Array.from(result.foreground).filter(Boolean).length : 0;
  return (
    <section className="patch-views" aria-labelledby="patch-views-title">
      <h3 id="patch-views-title" className="section-title">Patch PCA, attention rollout, per-head statistics</h3>
      <div className="eval-controls">
        <label>
          head fusion{' '}
          <select value={fusion} onChange={(e) => setFusion(e.target.value as 'mean' | 'max' | 'min')}>
            <option value="mean">mean</option>
            <option value="max">max</option>
            <option value="min">min</option>
          </select>
        </label>
        <label>
          discard ratio{' '}
          <input type="number" min={0} max={0.99} step={0.05} value={discard} aria-label="discard ratio" onChange={(e) => setDiscard(Number(e.target.value))} />
        </label>
        <button type="button" onClick={() => void compute()} disabled={pending}>
          {pending ? 'Computing…' : 'Compute patch PCA and rollout'}
        </button>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {attention && attention.query === 0 && <HeadStats attention={attention} patches={result} threshold={settings.threshold} />}
      {result && (
        <div className="patch-views-row">
          <figure>
            <GridCanvas rgba={pcaRgba(result)} grid={result.grid} label={`first three principal components of the last block's patch tokens as RGB: ${of}`} testId="patch-pca" />
            <figcaption>
              patch PCA (RGB = components 1-3), {fg} of {result.foreground.length} patches foreground
            </figcaption>
          </figure>
          <figure>
            <GridCanvas rgba={rolloutRgba(result)} grid={result.grid} label={`attention rollout of the CLS token over all blocks: ${of}`} testId="rollout" />
            <figcaption>
              rollout over all blocks ({result.fusion} of heads, {result.discardRatio} discarded)
            </figcaption>
          </figure>
        </div>
      )}
    </section>
  );
}
