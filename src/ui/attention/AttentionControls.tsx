/** Inspector settings: what to compute (size, network, block) and how to draw it. */
import { useState } from 'react';
import type { AttentionSettings, ColormapName } from '../store/settings';
import { useStore } from '../store';
import { COLORMAPS } from './HeatmapGrid';

const RESOLUTIONS = [224, 448];

/** Blocks of the model the inspector reads (the one the model switch names). */
function useDepth(): number {
  return useStore((s) => {
    const run = s.configured?.config.model.depth ?? s.config.model.depth;
    return s.inspecting.source === 'weights' ? (s.weightsReport?.arch.depth ?? run) : run;
  });
}

export function AttentionControls() {
  const st = useStore((s) => s.attentionSettings);
  const set = useStore((s) => s.setAttentionSettings);
  const heads = useStore((s) => s.attentionResult?.heads ?? 0);
  const depth = useDepth();
  const [custom, setCustom] = useState(!RESOLUTIONS.includes(st.resolution));
  const patch = <K extends keyof AttentionSettings>(k: K, v: AttentionSettings[K]) => set({ [k]: v } as Partial<AttentionSettings>);

  return (
    <div className="attention-controls">
      <fieldset>
        <legend>Compute</legend>
        <label>
          Resolution
          <select
            value={custom ? 'custom' : String(st.resolution)}
            onChange={(e) => {
              const v = e.target.value;
              setCustom(v === 'custom');
              if (v !== 'custom') patch('resolution', Number(v));
            }}
          >
            {RESOLUTIONS.map((r) => (
              <option key={r} value={r}>
                {r} px
              </option>
            ))}
            <option value="custom">custom…</option>
          </select>
        </label>
        {custom && (
          <label>
            px
            <input
              type="number"
              className="num"
              min={16}
              max={1024}
              step={8}
              defaultValue={st.resolution}
              onBlur={(e) => patch('resolution', Math.min(1024, Math.max(16, Math.round(Number(e.target.value) || 224))))}
              onKeyDown={(e) => e.key === 'Enter' && e.currentTarget.blur()}
              aria-label="Custom resolution in pixels"
            />
          </label>
        )}
        <label>
          Shape
          <select value={st.aspect} onChange={(e) => patch('aspect', e.target.value as AttentionSettings['aspect'])}>
            <option value="square">square</option>
            <option value="keep-aspect">keep aspect</option>
          </select>
        </label>
        <label>
          Network
          <select value={st.network} onChange={(e) => patch('network', e.target.value as AttentionSettings['network'])}>
            <option value="teacher">teacher</option>
            <option value="student">student</option>
          </select>
        </label>
        <label>
          Block
          {/* Numbered from 0, as the caption and the weights' blocks.N names are. */}
          <select value={st.block} onChange={(e) => patch('block', Number(e.target.value))} title="Blocks are numbered from 0, as blocks.N in the weights">
            <option value={-1}>{depth - 1} (last)</option>
            {Array.from({ length: depth - 1 }, (_, i) => (
              <option key={i} value={i}>
                {i}
              </option>
            ))}
          </select>
        </label>
        <p className="muted small">Sides are rounded down to multiples of the patch size.</p>
      </fieldset>
      <fieldset>
        <legend>Display</legend>
        <label>
          Colormap
          <select value={st.colormap} onChange={(e) => patch('colormap', e.target.value as ColormapName)}>
            {Object.keys(COLORMAPS).map((c) => (
              <option key={c}>{c}</option>
            ))}
          </select>
        </label>
        <label>
          Opacity
          <input type="range" min={0} max={1} step={0.05} value={st.opacity} onChange={(e) => patch('opacity', Number(e.target.value))} />
          <output>{Math.round(st.opacity * 100)}%</output>
        </label>
        <label className="inline-check">
          <input type="checkbox" checked={st.showMasks} onChange={(e) => patch('showMasks', e.target.checked)} /> thresholded masks
        </label>
        <label>
          Mass kept
          <input
            type="range"
            min={0.05}
            max={1}
            step={0.05}
            value={st.threshold}
            disabled={!st.showMasks}
            onChange={(e) => patch('threshold', Number(e.target.value))}
            aria-valuetext={`${Math.round(st.threshold * 100)} percent`}
          />
          <output>{Math.round(st.threshold * 100)}%</output>
        </label>
        {heads > 0 && (
          <div className="head-toggles" role="group" aria-label="Visible heads">
            Heads
            {Array.from({ length: heads }, (_, h) => (
              <label key={h} className="inline-check">
                <input
                  type="checkbox"
                  checked={!st.hiddenHeads.includes(h)}
                  onChange={(e) => patch('hiddenHeads', e.target.checked ? st.hiddenHeads.filter((x) => x !== h) : [...st.hiddenHeads, h])}
                />
                {h}
              </label>
            ))}
          </div>
        )}
      </fieldset>
      <fieldset>
        <legend>During training</legend>
        <label className="inline-check">
          <input type="checkbox" checked={st.liveRefresh} onChange={(e) => patch('liveRefresh', e.target.checked)} /> refresh live
        </label>
        <label>
          every
          <input
            type="number"
            className="num"
            min={1}
            value={st.refreshEvery}
            onChange={(e) => patch('refreshEvery', Math.max(1, Math.round(Number(e.target.value) || 1)))}
            aria-label="Refresh every N steps"
          />
          steps
        </label>
      </fieldset>
    </div>
  );
}
