/** Attention tab: pick an image, choose what to compute and how to draw it, read the maps. */
import { useEffect, useRef } from 'react';
import { requestAttention } from './attention-actions';
import { queryPatch } from './attention-view';
import { download } from '../common/download';
import { ModelSwitch } from '../common/ModelSwitch';
import { useStore } from '../store';
import { AttentionControls } from './AttentionControls';
import { HeatmapGrid, gridToPng } from './HeatmapGrid';
import { PatchViews } from './PatchViews';
import { SourcePicker } from './SourcePicker';
import './attention.css';

/** Recompute when a setting that changes the maps changes (not for display-only settings). */
function useRecomputeOnChange(): void {
  const key = useStore((s) => {
    const a = s.attentionSettings;
    return `${a.resolution}|${a.aspect}|${a.network}|${a.block}|${s.attentionQuery}|${s.inspecting.source}`;
  });
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    void requestAttention();
  }, [key]);
}

/** Every N training steps, refresh the maps (skipped while a request is still out). */
function useLiveRefresh(): void {
  useEffect(() => {
    let lastStep = useStore.getState().progress?.step ?? 0;
    return useStore.subscribe((s) => {
      const step = s.progress?.step ?? 0;
      const { liveRefresh, refreshEvery } = s.attentionSettings;
      if (!liveRefresh || !s.attentionSource || s.attentionPending || s.progress?.state !== 'running') return;
      if (step - lastStep >= refreshEvery) {
        lastStep = step;
        void requestAttention();
      }
    });
  }, []);
}

export function AttentionPanel() {
  const source = useStore((s) => s.attentionSource);
  const result = useStore((s) => s.attentionResult);
  const pending = useStore((s) => s.attentionPending);
  const error = useStore((s) => s.attentionError);
  const settings = useStore((s) => s.attentionSettings);
  const setQuery = useStore((s) => s.setAttentionQuery);
  const gridRef = useRef<HTMLDivElement>(null);
  useRecomputeOnChange();
  useLiveRefresh();
  const q = result ? queryPatch(result.query, result.grid[1]) : null;

  const exportPng = async () => {
    if (!gridRef.current || !result || !source) return;
    const title = `${source.name}: ${result.model}, ${result.network} block ${result.block}, ${q ? `patch (${q[0]}, ${q[1]})` : 'CLS'} query`;
    download(await gridToPng(gridRef.current, title), `attention-${source.name.replace(/\.\w+$/, '')}-step${result.step}.png`);
  };

  return (
    <div className="attention-layout">
      <SourcePicker />
      <AttentionControls />
      <div className="toolbar">
        <ModelSwitch />
        <button type="button" className="primary" disabled={!source || pending} onClick={() => void requestAttention()}>
          {pending ? 'Computing…' : 'Refresh'}
        </button>
        <span role="status">
          {result && (
            <>
              <b data-testid="attention-model">{result.model}</b>, {result.network} block {result.block}: {result.heads} heads, {result.grid[0]}×{result.grid[1]}{' '}
              patches of {result.patchSize} px at {result.size[1]}×{result.size[0]} px. Query: <b>{q ? `patch (row ${q[0]}, col ${q[1]})` : 'CLS token'}</b>
            </>
          )}
        </span>
        {q && (
          <button type="button" onClick={() => setQuery(0)}>
            Back to CLS
          </button>
        )}
        <span className="spacer" />
        <button type="button" disabled={!result} onClick={() => void exportPng()}>
          Export PNG
        </button>
      </div>
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      {!source && <p className="empty">Pick a dataset image or drop one above to see where each head of the last block looks.</p>}
      {source && !result && pending && <p className="empty">Computing attention…</p>}
      {source && result && (
        <HeatmapGrid
          result={result}
          image={source.image}
          imageName={source.name}
          colormap={settings.colormap}
          opacity={settings.opacity}
          threshold={settings.threshold}
          showMasks={settings.showMasks}
          hiddenHeads={settings.hiddenHeads}
          onQuery={setQuery}
          gridRef={gridRef}
        />
      )}
      {source && <PatchViews />}
    </div>
  );
}
