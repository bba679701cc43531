/**
 * Per-head attention heatmaps over the image, their mean, and DINO's thresholded masks. Each tile is
 * a canvas: the image resized to the size the model saw, the patch-resolution map drawn on top
 * without smoothing (one block per patch). Clicking a patch makes it the query.
 */
import { interpolateInferno, interpolateMagma, interpolateViridis } from 'd3';
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { AttentionResult, ImagePixels } from '../../shared/protocol';
import { colormapLut, heatmapRgba, meanOverHeads, patchQuery, queryPatch, thresholdMasks } from './attention-view';
import { pixelsToCanvas } from '../data/image-decode';
import type { ColormapName } from '../store/settings';

export const COLORMAPS: Record<ColormapName, (t: number) => string> = {
  viridis: interpolateViridis,
  inferno: interpolateInferno,
  magma: interpolateMagma,
};

interface TileProps {
  base: OffscreenCanvas;
  map: Float32Array;
  result: AttentionResult;
  lut: Uint8Array;
  opacity: number;
  /** Draw only the kept patches (mask tiles) instead of the heatmap. */
  mask?: Uint8Array;
  /** The caption under the tile ("head 2"). */
  label: string;
  /** What the tile shows in full, for its accessible name: head, block, network, model and step, image. */
  name: string;
  testId: string;
  onPatch: (r: number, c: number) => void;
}

function Tile({ base, map, result, lut, opacity, mask, label, name, testId, onPatch }: TileProps) {
  const ref = useRef<HTMLCanvasElement>(null);
  const [H, W] = result.size;
  const [rows, cols] = result.grid;
  useLayoutEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(base, 0, 0, W, H);
    const small = new OffscreenCanvas(cols, rows);
    const rgba = mask
      ? Uint8ClampedArray.from({ length: rows * cols * 4 }, (_, i) => (i % 4 === 3 ? (mask[i >> 2] ? 0 : 200) : 0))
      : heatmapRgba(map, lut, opacity);
    small.getContext('2d')!.putImageData(new ImageData(rgba, cols, rows), 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(small, 0, 0, W, H);
    const q = queryPatch(result.query, cols);
    if (q) {
      const p = W / cols;
      ctx.strokeStyle = '#ff3b30';
      ctx.lineWidth = Math.max(2, p / 6);
      ctx.strokeRect(q[1] * p, q[0] * (H / rows), p, H / rows);
    }
  }, [base, map, lut, opacity, mask, W, H, rows, cols, result.query]);
  return (
    <figure className="tile">
      <canvas
        ref={ref}
        width={W}
        height={H}
        data-testid={testId}
        role="img"
        aria-label={name}
        title="Click a patch to see its attention; click it again for CLS"
        onClick={(e) => {
          const rect = e.currentTarget.getBoundingClientRect();
          const c = Math.floor(((e.clientX - rect.left) / rect.width) * cols);
          const r = Math.floor(((e.clientY - rect.top) / rect.height) * rows);
          onPatch(Math.min(rows - 1, Math.max(0, r)), Math.min(cols - 1, Math.max(0, c)));
        }}
      />
      <figcaption aria-hidden="true">{label}</figcaption>
    </figure>
  );
}

interface GridProps {
  result: AttentionResult;
  image: ImagePixels;
  /** The image's file name, named by every tile. */
  imageName: string;
  colormap: ColormapName;
  opacity: number;
  threshold: number;
  showMasks: boolean;
  hiddenHeads: number[];
  onQuery: (query: number) => void;
  gridRef: React.RefObject<HTMLDivElement | null>;
}

export function HeatmapGrid({ result, image, imageName, colormap, opacity, threshold, showMasks, hiddenHeads, onQuery, gridRef }: GridProps) {
  const [rows, cols] = result.grid;
  const P = rows * cols;
  const base = useMemo(() => pixelsToCanvas(image), [image]);
  const lut = useMemo(() => colormapLut(COLORMAPS[colormap]), [colormap]);
  const perHead = useMemo(() => Array.from({ length: result.heads }, (_, h) => result.maps.subarray(h * P, (h + 1) * P)), [result, P]);
  const mean = useMemo(() => meanOverHeads(result.maps, result.heads), [result]);
  const masks = useMemo(() => thresholdMasks(result.maps, result.heads, threshold), [result, threshold]);
  const shown = perHead.map((_, h) => h).filter((h) => !hiddenHeads.includes(h));
  const onPatch = (r: number, c: number) => {
    const q = patchQuery(r, c, cols);
    onQuery(q === result.query ? 0 : q);
  };
  const tile = { base, result, lut, opacity, onPatch };
  const q = queryPatch(result.query, cols);
  const what = `${result.network} block ${result.block}, ${result.model}, ${imageName}, ${q ? `query patch row ${q[0]} col ${q[1]}` : 'CLS query'}`;
  const named = (label: string) => ({ label, name: `${label}: ${what}` });

  return (
    <div className="heatmap-grid" data-testid="heatmap-grid" ref={gridRef}>
      {shown.map((h) => (
        <Tile key={h} {...tile} map={perHead[h]} {...named(`head ${h}`)} testId={`heatmap-${h}`} />
      ))}
      <Tile {...tile} map={mean} {...named('mean of all heads')} testId="heatmap-mean" />
      {showMasks &&
        shown.map((h) => (
          <Tile
            key={`m${h}`}
            {...tile}
            map={perHead[h]}
            mask={masks.subarray(h * P, (h + 1) * P)}
            {...named(`head ${h}: top ${Math.round(threshold * 100)}% mass`)}
            testId={`mask-${h}`}
          />
        ))}
    </div>
  );
}

/** The grid's tiles composed into one PNG, captions included. */
export async function gridToPng(grid: HTMLElement, title: string): Promise<Blob> {
  const tiles = Array.from(grid.querySelectorAll('figure.tile'));
  const canvases = tiles.map((t) => t.querySelector('canvas')!);
  const tileW = Math.max(...canvases.map((c) => c.width));
  const tileH = Math.max(...canvases.map((c) => c.height));
  const perRow = Math.min(tiles.length, Math.max(1, Math.round(Math.sqrt(tiles.length * 1.6))));
  const pad = 8;
  const caption = 18;
  const out = document.createElement('canvas');
  out.width = perRow * (tileW + pad) + pad;
  out.height = Math.ceil(tiles.length / perRow) * (tileH + caption + pad) + pad + 24;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = '#111';
  ctx.font = '14px system-ui, sans-serif';
  ctx.fillText(title, pad, 18);
  tiles.forEach((t, i) => {
    const x = pad + (i % perRow) * (tileW + pad);
    const y = 24 + pad + Math.floor(i / perRow) * (tileH + caption + pad);
    ctx.drawImage(canvases[i], x, y);
    ctx.fillText(t.querySelector('figcaption')?.textContent ?? '', x, y + tileH + 14);
  });
  return new Promise((resolve, reject) => out.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
