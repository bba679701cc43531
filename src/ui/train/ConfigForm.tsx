/** The preset picker and every hyper-parameter, grouped as in the paper, validated as typed. */
import { useMemo } from 'react';
import { runPresets, validateConfig } from '../../shared/config';
import { MEMORY_BUDGET_BYTES, memoryRefusal, planMemory } from '../../shared/memory';
import { getPath } from '../../shared/config-fields';
import { FIELD_GROUPS, issuesByField } from './config-fields';
import { isActive } from './run-actions';
import type { PresetName } from '../store/settings';
import { useStore } from '../store';
import { FieldInput } from './FieldInput';

const PRESET_LABELS: Record<PresetName, string> = {
  nano: 'nano — trains in minutes, even on CPU',
  tiny: 'tiny — laptop GPU, 64 px crops',
  finetune: 'finetune — start from loaded ViT-S weights',
  official: 'official ViT-S/16 — export only, too big for a browser',
};

export function PresetPicker() {
  const preset = useStore((s) => s.preset);
  const modified = useStore((s) => s.configModified);
  const setPreset = useStore((s) => s.setPreset);
  const locked = useStore((s) => isActive(s.progress?.state ?? 'idle'));
  return (
    <div className="preset-picker">
      <label htmlFor="preset">Preset</label>
      <select id="preset" value={preset} disabled={locked} onChange={(e) => setPreset(e.target.value as PresetName)}>
        {(Object.keys(runPresets) as PresetName[]).map((p) => (
          <option key={p} value={p}>
            {PRESET_LABELS[p]}
          </option>
        ))}
      </select>
      {modified && (
        <button type="button" className="link" disabled={locked} onClick={() => setPreset(preset)}>
          reset to {preset}
        </button>
      )}
    </div>
  );
}

/**
 * What a step of this configuration needs in memory on the backend in use, and how it fits. Shown
 * only for a valid configuration: an invalid one already has its error beside the field.
 */
function MemoryNote({ valid }: { valid: boolean }) {
  const config = useStore((s) => s.config);
  const backend = useStore((s) => s.backend?.name ?? null);
  if (!backend || !valid) return null;
  const plan = planMemory(config, backend);
  const budget = MEMORY_BUDGET_BYTES[backend];
  const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
  if (!plan) {
    return (
      <p className="field-error" role="alert" data-testid="memory-estimate">
        {`Too large for ${backend}: ${memoryRefusal(config, backend)}.`}
      </p>
    );
  }
  const B = config.train.batchSize;
  const split = plan.microBatch < B ? ` in micro-batches of ${plan.microBatch} images (${Math.ceil(B / plan.microBatch)} per step; same result as the whole batch of ${B})` : '';
  return (
    <p className="note" data-testid="memory-estimate">
      {`Memory per training step: about ${gib(plan.totalBytes)} on ${backend}${budget ? ` (of ${gib(budget)})` : ''}${split}, for ${(plan.params / 1e6).toFixed(1)} M parameters.`}
    </p>
  );
}

export function ConfigForm() {
  const config = useStore((s) => s.config);
  const setField = useStore((s) => s.setField);
  const locked = useStore((s) => isActive(s.progress?.state ?? 'idle'));
  const images = useStore((s) => s.workerDataset?.count ?? s.images.length);
  const errors = useMemo(() => issuesByField(validateConfig(config, images)), [config, images]);
  const general = errors.get('') ?? [];

  return (
    <form className="config-form" aria-label="Run configuration" onSubmit={(e) => e.preventDefault()}>
      <PresetPicker />
      <MemoryNote valid={errors.size === 0} />
      {locked && <p className="note">The configuration is locked while a run is active; stop it to edit.</p>}
      {general.map((e) => (
        <p key={e} className="field-error" role="alert">
          {e}
        </p>
      ))}
      {FIELD_GROUPS.map((g) => {
        const groupErrors = g.fields.reduce((n, f) => n + (errors.get(f.path)?.length ?? 0), 0);
        return (
          <details key={g.id} open={g.id === 'optim' || g.id === 'loss' || groupErrors > 0}>
            <summary>
              {g.title}
              {groupErrors > 0 && <span className="badge error">{groupErrors}</span>}
            </summary>
            <div className="fields">
              {g.fields.map((f) => (
                <FieldInput
                  key={f.path}
                  spec={f}
                  value={getPath(config, f.path)}
                  errors={errors.get(f.path) ?? []}
                  disabled={locked}
                  onChange={(v) => setField(f.path, v)}
                />
              ))}
            </div>
          </details>
        );
      })}
    </form>
  );
}
