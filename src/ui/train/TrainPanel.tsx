/** Train tab: configuration on the left; controls, progress and the views of the run on the right. */
import { useState } from 'react';
import { useStore } from '../store';
import { AugmentPreview } from './AugmentPreview';
import { ChartToolbar } from './ChartToolbar';
import { CollapseExperiment } from './CollapseExperiment';
import { CollapseWarning } from './CollapseWarning';
import { ConfigForm } from './ConfigForm';
import { KnnEval } from './KnnEval';
import { MetricCharts } from './MetricCharts';
import { ProgressPanel } from './ProgressPanel';
import { RunControls } from './RunControls';
import { ScheduleCharts } from './ScheduleCharts';

const VIEWS = [
  { id: 'charts', label: 'Curves' },
  { id: 'augment', label: 'Augmentations' },
  { id: 'collapse', label: 'Collapse experiment' },
] as const;
type View = (typeof VIEWS)[number]['id'];

export function TrainPanel() {
  const [view, setView] = useState<View>('charts');
  const fromWeights = useStore((s) => s.fromWeights);
  const setFromWeights = useStore((s) => s.setFromWeights);
  const weights = useStore((s) => s.weightsReport?.fileName ?? null);

  return (
    <div className="train-layout">
      <aside className="config-column">
        <ConfigForm />
      </aside>
      <div className="run-column">
        <div className="run-bar">
          <RunControls />
          {weights && (
            <label className="inline-check">
              <input type="checkbox" checked={fromWeights} onChange={(e) => setFromWeights(e.target.checked)} /> start from {weights}
            </label>
          )}
          <KnnEval />
        </div>
        <ProgressPanel />
        <div className="segmented" role="tablist" aria-label="Run views">
          {VIEWS.map((v) => (
            <button key={v.id} type="button" role="tab" aria-selected={view === v.id} onClick={() => setView(v.id)}>
              {v.label}
            </button>
          ))}
        </div>
        {view === 'charts' && (
          <>
            <CollapseWarning />
            <ChartToolbar />
            <MetricCharts />
            <h3 className="section-title">Schedules</h3>
            <ScheduleCharts />
          </>
        )}
        {view === 'augment' && <AugmentPreview />}
        {view === 'collapse' && <CollapseExperiment />}
      </div>
    </div>
  );
}
