/** Weighted k-NN accuracy of the teacher's CLS features: does the run learn useful features? */
import { ModelSwitch } from '../common/ModelSwitch';
import { evaluateKnn } from './run-actions';
import { useStore } from '../store';
import { KnnMonitor } from './KnnMonitor';

export function KnnEval() {
  const knn = useStore((s) => s.knn);
  const pending = useStore((s) => s.knnPending);
  const ready = useStore((s) => (s.progress?.step ?? 0) > 0 || s.weightsReport !== null);
  return (
    <div className="knn">
      <button type="button" onClick={() => void evaluateKnn()} disabled={pending || !ready} title="Weighted k-NN (k = 20, T = 0.07) of the teacher's CLS features: every fifth labelled image is a query, the rest the memory bank">
        {pending ? 'Evaluating…' : 'k-NN accuracy'}
      </button>
      <ModelSwitch />
      <KnnMonitor />
      {knn && (
        <span role="status">
          top-1 <b>{knn.top1.toFixed(1)}%</b>, top-5 {knn.top5.toFixed(1)}%{' '}
          <span className="muted">
            ({knn.model}, {knn.nTrain} train / {knn.nTest} test images)
          </span>
        </span>
      )}
    </div>
  );
}
