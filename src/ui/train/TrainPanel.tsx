/** Train tab: configuration on the left; controls, progress and the views of the run on the right. */
import { useState } from 'react';
import { ErrorBoundary } from '../common/ErrorBoundary';
import { useStore } from '../store';
import { AugmentPreview } from './AugmentPreview';
import { ChartToolbar } from './ChartToolbar';
import { CollapseExperiment } from './CollapseExperiment';
import { CollapseWarning } from './CollapseWarning';
import { ConfigForm } from './ConfigForm';
import { KnnEval } from './KnnEval';
import { MetricCharts } from './MetricCharts';
import { ProgressPanel } from './ProgressPanel';
import { RunAnnouncer } from './RunAnnouncer';
import { RunControls } from './RunControls';
import { ScheduleCharts } from './ScheduleCharts';
import './train.css';

const VIEWS = [
  { id: 'charts', label: 'Curves' },
  { id: 'augment', label: 'Augmentations' },
  { id: 'collapse', label: 'Collapse experiment' },
] as const;
type View = (typeof VIEWS)[number]['id'];

const resetConfig = () => {
  const s = useStore.getState();
  s.setPreset(s.preset);
};

export function TrainPanel() {
  const [view, setView] = useState<View>('charts');
  const fromWeights = useStore((s) => s.fromWeights);
  const setFromWeights = useStore((s) => s.setFromWeights);
  const weights = useStore((s) => s.weightsReport?.fileName ?? null);

  return (
    <div className="train-layout">
      <aside className="config-column">
        <ErrorBoundary name="configuration" onReset={resetConfig} resetLabel="Reset the configuration to its preset">
          <ConfigForm />
        </ErrorBoundary>
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
        <RunAnnouncer />
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
            <ErrorBoundary name="training curves">
              <MetricCharts />
            </ErrorBoundary>
            <h3 className="section-title">Schedules</h3>
            <ErrorBoundary name="schedules" onReset={resetConfig} resetLabel="Reset the configuration to its preset">
              <ScheduleCharts />
            </ErrorBoundary>
          </>
        )}
        {view === 'augment' && (
          <ErrorBoundary name="augmentations">
            <AugmentPreview />
          </ErrorBoundary>
        )}
        {view === 'collapse' && (
          <ErrorBoundary name="collapse experiment">
            <CollapseExperiment />
          </ErrorBoundary>
        )}
      </div>
    </div>
  );
}
