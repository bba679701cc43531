/** Data tab: add images (drop, pick, paste, demo), see what was skipped, browse the gallery. */
import { DatasetToolbar } from './DatasetToolbar';
import { DropZone } from './DropZone';
import { Gallery } from './Gallery';
import { ImportStatus } from './ImportStatus';
import { LabelChips } from './LabelChips';
import './data.css';

export function DataPanel() {
  return (
    <div className="data-layout">
      <DropZone />
      <ImportStatus />
      <DatasetToolbar />
      <LabelChips />
      <Gallery />
    </div>
  );
}
