/** The tab bar (WAI-ARIA tabs: arrow keys move, Home/End jump). */
import type { TabId } from '../store/settings';
import { useStore } from '../store';
import './shell.css';

export const TABS: { id: TabId; label: string }[] = [
  { id: 'data', label: 'Data' },
  { id: 'train', label: 'Train' },
  { id: 'attention', label: 'Attention' },
  { id: 'weights', label: 'Weights' },
  { id: 'export', label: 'Export' },
  { id: 'evaluate', label: 'Evaluate' },
];

export function Tabs() {
  const tab = useStore((s) => s.tab);
  const setTab = useStore((s) => s.setTab);
  const count = useStore((s) => s.images.length);
  const state = useStore((s) => s.progress?.state ?? 'idle');
  const step = useStore((s) => s.progress?.step ?? 0);

  const move = (e: React.KeyboardEvent, i: number) => {
    const n = TABS.length;
    const next = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    setTab(TABS[next].id);
    document.getElementById(`tab-${TABS[next].id}`)?.focus();
  };

  return (
    <nav aria-label="Sections">
      <div className="tabs" role="tablist" aria-label="Sections">
        {TABS.map((t, i) => (
          <button
            key={t.id}
            id={`tab-${t.id}`}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => move(e, i)}
            aria-keyshortcuts={String(i + 1)}
          >
            {t.label}
            {t.id === 'data' && <span className="tab-badge">{count}</span>}
            {t.id === 'train' && state !== 'idle' && <span className={`tab-badge state-${state}`}>{state === 'running' ? `step ${step}` : state}</span>}
          </button>
        ))}
      </div>
    </nav>
  );
}
