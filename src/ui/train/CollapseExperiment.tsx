/** Figure 7 of the DINO paper in miniature: entropy and KL of three runs as small multiples. */
import { useMemo } from 'react';
import { LineChart } from '../charts/LineChart';
import { CHART_REDRAW_MS, useFrameThrottled } from '../charts/hooks';
import { COLLAPSE_RUNS, cancelCollapseExperiment, runCollapseExperiment } from './collapse-experiment';
import { isActive, startBlocker } from './run-actions';
import { useStore } from '../store';
import type { ExperimentRun } from '../store/experiment';
import { useRunK } from './MetricCharts';

function useLiveRun(): ExperimentRun | null {
  const status = useStore((s) => s.experimentStatus);
  const index = useStore((s) => s.experimentIndex);
  const done = useStore((s) => s.experimentRuns.length);
  useFrameThrottled((s) => s.metricsVersion, CHART_REDRAW_MS);
  if (status !== 'running' || done > index) return null;
  const m = useStore.getState().metrics;
  const r = COLLAPSE_RUNS[index];
  return { key: r.key, title: r.title, steps: m.column('step'), entropy: m.column('teacherEntropy'), kl: m.column('kl'), loss: m.column('loss'), note: null };
}

export function CollapseExperiment() {
  const steps = useStore((s) => s.experimentSteps);
  const setSteps = useStore((s) => s.setExperimentSteps);
  const status = useStore((s) => s.experimentStatus);
  const index = useStore((s) => s.experimentIndex);
  const runs = useStore((s) => s.experimentRuns);
  const seed = useStore((s) => s.config.seed);
  const blocker = useStore((s) => (isActive(s.progress?.state ?? 'idle') ? null : startBlocker(s)));
  const live = useLiveRun();
  const K = useRunK();
  const lnK = Math.log(K);
  const shown = useMemo(() => COLLAPSE_RUNS.map((r) => runs.find((x) => x.key === r.key) ?? (live?.key === r.key ? live : null)), [runs, live]);
  const yMax = Math.ceil(lnK * 1.1);

  return (
    <section className="experiment" aria-label="Collapse experiment">
      <p className="intro">
        Why DINO needs both <b>centering</b> and <b>sharpening</b> (paper, figure 7): three short runs with the same seed ({seed}) and
        config, differing only in those two switches. Without centering the teacher collapses to one dimension (entropy → 0);
        without sharpening it collapses to the uniform distribution (entropy → ln K). In both cases the KL between teacher and
        student goes to 0: the student has nothing left to learn.
      </p>
      <div className="toolbar">
        <label>
          Steps per run{' '}
          <input
            type="number"
            min={10}
            step={10}
            value={steps}
            disabled={status === 'running'}
            onChange={(e) => setSteps(Math.max(1, Math.round(Number(e.target.value) || 1)))}
            className="num"
          />
        </label>
        {status !== 'running' ? (
          <button type="button" className="primary" disabled={blocker !== null} onClick={() => void runCollapseExperiment()}>
            Run the three runs
          </button>
        ) : (
          <button type="button" onClick={cancelCollapseExperiment}>
            Cancel
          </button>
        )}
        <span className="muted" role="status">
          {status === 'running' && `Run ${index + 1} of 3: ${COLLAPSE_RUNS[index].title}`}
          {status === 'done' && 'Done: compare the three panels.'}
          {status === 'cancelled' && 'Cancelled.'}
          {status === 'idle' && blocker}
        </span>
      </div>
      <div className="small-multiples">
        {COLLAPSE_RUNS.map((r, i) => {
          const run = shown[i];
          return (
            <div key={r.key}>
              <LineChart
                compact
                title={r.title}
                fileName={`collapse-${r.key}`}
                yDomain={[0, yMax]}
                series={
                  run
                    ? [
                        { key: 'h', label: 'entropy', x: run.steps, y: run.entropy, color: 'var(--c-entropy)' },
                        { key: 'kl', label: 'KL', x: run.steps, y: run.kl, color: 'var(--c-kl)' },
                      ]
                    : []
                }
                refLines={[{ y: lnK, label: 'ln K' }]}
                emptyText={status === 'running' && i > index ? 'waiting…' : 'not run yet'}
              />
              {run?.note && <p className="note">{run.note}</p>}
            </div>
          );
        })}
      </div>
    </section>
  );
}
