/** k-NN accuracy under either rule, with the baselines on the same split, per class and as a confusion matrix. */
import { useDeferredValue } from 'react';
import type { FeatureSource, KnnReport, KnnRule } from '../../shared/protocol';
import { evaluateKnnRules } from './eval-actions';
import { useStore } from '../store';
import { confusionCell } from './confusion-colors';
import { percent } from './format';

export const RULE_NAMES: Record<KnnRule, string> = {
  sklearn: "the write-up's rule (sklearn KNeighborsClassifier: Euclidean, uniform votes, ties to the smallest class)",
  dino: 'the official DINO eval_knn.py rule (cosine similarity, votes weighted by exp(sim / T), top-1 / top-5)',
};

const SOURCE_NAMES: Record<FeatureSource, string> = {
  model: 'these weights',
  random: 'randomly initialised ViT (seed 12345)',
  pixels: 'raw pixels (32 px)',
};

function NumberField({ label, value, step, min, max, disabled, onChange }: { label: string; value: number; step: number; min: number; max?: number; disabled?: boolean; onChange: (v: number) => void }) {
  return (
    <label>
      {label}{' '}
      <input type="number" value={value} step={step} min={min} max={max} disabled={disabled} aria-label={label} onChange={(e) => onChange(Number(e.target.value))} />
    </label>
  );
}

function Confusion({ report, classNames }: { report: KnnReport; classNames: string[] }) {
  const c = classNames.length;
  const rowMax = (r: number) => Math.max(1, ...Array.from({ length: c }, (_, p) => report.confusion[r * c + p]));
  return (
    <table className="confusion" aria-label="confusion matrix (rows: true class, columns: predicted)">
      <thead>
        <tr>
          <th scope="col">true \ predicted</th>
          {classNames.map((n) => (
            <th key={n} scope="col" title={n}>
              {n.slice(0, 6)}
            </th>
          ))}
          <th scope="col">accuracy</th>
        </tr>
      </thead>
      <tbody>
        {classNames.map((n, r) => (
          <tr key={n}>
            <th scope="row">{n}</th>
            {classNames.map((_, p) => {
              const v = report.confusion[r * c + p];
              return (
                <td key={p} style={v ? confusionCell(v / rowMax(r)) : undefined}>
                  {v || ''}
                </td>
              );
            })}
            <td>{percent(report.perClass[r])}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function KnnSection() {
  const settings = useStore((s) => s.knnSettings);
  const set = useStore((s) => s.setKnnSettings);
  const reports = useDeferredValue(useStore((s) => s.knnReports));
  const unscorable = useStore((s) => s.knnUnscorable);
  const pending = useStore((s) => s.knnEvalPending);
  const features = useStore((s) => s.features);
  const model = reports.find((r) => r.source === 'model');

  return (
    <section className="eval-section" aria-labelledby="eval-knn-title">
      <h3 id="eval-knn-title" className="section-title">k-NN classification</h3>
      <fieldset className="eval-controls">
        <legend>rule</legend>
        {(['sklearn', 'dino'] as const).map((rule) => (
          <label key={rule} className="inline-check">
            <input type="radio" name="knn-rule" checked={settings.rule === rule} onChange={() => set({ rule })} /> {RULE_NAMES[rule]}
          </label>
        ))}
      </fieldset>
      <div className="eval-controls">
        <NumberField label="k" value={settings.k} step={1} min={1} onChange={(k) => set({ k: Math.round(k) })} />
        <NumberField label="T" value={settings.temperature} step={0.01} min={0.001} disabled={settings.rule !== 'dino'} onChange={(temperature) => set({ temperature })} />
        <NumberField label="validation fraction" value={settings.valFraction} step={0.05} min={0.05} max={0.95} onChange={(valFraction) => set({ valFraction })} />
        <NumberField label="split seed" value={settings.seed} step={1} min={0} onChange={(seed) => set({ seed: Math.round(seed) })} />
        <button type="button" onClick={() => void evaluateKnnRules()} disabled={!features || pending}>
          {pending ? 'Scoring…' : 'Score'}
        </button>
      </div>
      <p className="muted">The split is stratified (each class keeps its share in the validation part) and seeded; the baselines use the same split.</p>
      {unscorable && (
        <p className="eval-unscorable" role="status" data-testid="knn-unscorable">
          Cannot score: {unscorable}
        </p>
      )}
      {reports.length > 0 && features && (
        <>
          <table className="knn-table" data-testid="knn-results" aria-label={`k-NN accuracy, ${RULE_NAMES[reports[0].rule]}`}>
            <caption>
              {reports[0].rule === 'sklearn' ? "write-up rule (sklearn)" : 'official eval_knn rule'}, k = {settings.k}
              {reports[0].rule === 'dino' && `, T = ${settings.temperature}`}; {reports[0].nTrain} train / {reports[0].nVal} validation images
            </caption>
            <thead>
              <tr>
                <th scope="col">features</th>
                <th scope="col">top-1</th>
                {reports[0].top5 !== null && <th scope="col">top-5</th>}
              </tr>
            </thead>
            <tbody>
              {reports.map((r) => (
                <tr key={r.source} data-source={r.source}>
                  <th scope="row">{SOURCE_NAMES[r.source]}</th>
                  <td>{percent(r.accuracy)}</td>
                  {r.top5 !== null && <td>{percent(r.top5)}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          {model && <Confusion report={model} classNames={features.classNames} />}
        </>
      )}
    </section>
  );
}
