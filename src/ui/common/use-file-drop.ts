/**
 * Dropping files on one element: `over` while something is dragged over it (for the highlight),
 * and `onDrop` with the drop's DataTransfer. Spread `dropProps` on the element. The highlight stays
 * while the pointer moves across the element's children (their dragleave is not the element's).
 */
import { useState, type DragEvent } from 'react';
import './common.css';

export interface FileDrop {
  over: boolean;
  dropProps: {
    onDragOver: (e: DragEvent<HTMLElement>) => void;
    onDragLeave: (e: DragEvent<HTMLElement>) => void;
    onDrop: (e: DragEvent<HTMLElement>) => void;
  };
}

/** `onDrop` runs inside the drop event: read `data` there (a folder's entries are gone after it). */
export function useFileDrop(onDrop: (data: DataTransfer) => void): FileDrop {
  const [over, setOver] = useState(false);
  return {
    over,
    dropProps: {
      onDragOver: (e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setOver(true);
      },
      onDragLeave: (e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setOver(false);
      },
      onDrop: (e) => {
        e.preventDefault();
        setOver(false);
        onDrop(e.dataTransfer);
      },
    },
  };
}
