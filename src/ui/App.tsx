/**
 * The page: header, tabs, the active panel (behind its own error boundary), banners and toasts.
 * Landmarks: the header (banner), the tab bar (navigation), the panel (main); toasts are a live region.
 */
import { AttentionPanel } from './attention/AttentionPanel';
import { ErrorBoundary } from './common/ErrorBoundary';
import { DataPanel } from './data/DataPanel';
import { EvaluatePanel } from './eval/EvaluatePanel';
import { ExportPanel } from './export/ExportPanel';
import { DivergedBanner, ResumedBanner } from './shell/Banners';
import { Header } from './shell/Header';
import { ShortcutsDialog, useShortcuts } from './shell/Shortcuts';
import { TABS, Tabs } from './shell/Tabs';
import { Toasts } from './shell/Toasts';
import { useStore } from './store';
import { TrainPanel } from './train/TrainPanel';
import { WeightsPanel } from './weights/WeightsPanel';
import './shell/shell.css';

const PANELS = {
  data: DataPanel,
  train: TrainPanel,
  attention: AttentionPanel,
  weights: WeightsPanel,
  export: ExportPanel,
  evaluate: EvaluatePanel,
};

export function App() {
  const tab = useStore((s) => s.tab);
  useShortcuts();
  const Panel = PANELS[tab];
  const label = TABS.find((t) => t.id === tab)?.label ?? tab;
  return (
    <div className="app">
      <Header />
      <Tabs />
      <DivergedBanner />
      <ResumedBanner />
      <main>
        <div id={`panel-${tab}`} role="tabpanel" aria-labelledby={`tab-${tab}`} className="panel">
          {/* Each panel's own headings are h3: this names the section they belong to. */}
          <h2 className="visually-hidden">{label}</h2>
          <ErrorBoundary key={tab} name={label}>
            <Panel />
          </ErrorBoundary>
        </div>
      </main>
      <Toasts />
      <ShortcutsDialog />
    </div>
  );
}
