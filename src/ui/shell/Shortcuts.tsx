/** Keyboard shortcuts (ignored while typing in a field) and their help dialog. */
import { useEffect, useRef } from 'react';
import { importFiles } from '../data/dataset-actions';
import { runState, stepRun, stopRun, toggleRun } from '../train/run-actions';
import { useStore } from '../store';
import { TABS } from './Tabs';
import './shell.css';

export const SHORTCUTS: [string, string][] = [
  ['Space', 'start / pause / resume training'],
  ['.', 'one training step (while paused, or to begin a run)'],
  ['Shift + X', 'stop the run'],
  ['1 – 6', 'switch tab (Data, Train, Attention, Weights, Export, Evaluate)'],
  ['Ctrl + V', 'paste images into the dataset'],
  ['?', 'this help'],
];

/** Inputs that take no typed text: a checkbox, a slider, a file picker. */
const UNTYPED_INPUTS = ['checkbox', 'radio', 'range', 'file', 'color', 'button', 'submit', 'reset'];

/** A field that takes the keys itself: every shortcut is off while typing or choosing in it. */
function typing(el: HTMLElement): boolean {
  if (el instanceof HTMLInputElement) return !UNTYPED_INPUTS.includes(el.type);
  return el.isContentEditable || ['TEXTAREA', 'SELECT'].includes(el.tagName);
}

/** A control that Space activates (a button, a checkbox, a details summary, a link): Space stays
 *  its own. The other shortcuts still work from it, so a keyboard user, whose focus is almost
 *  always on such a control, has them too. */
function activatedBySpace(el: HTMLElement): boolean {
  return ['BUTTON', 'INPUT', 'SUMMARY', 'A'].includes(el.tagName) || el.getAttribute('role') === 'button';
}

export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target instanceof HTMLElement ? e.target : null;
      if (e.ctrlKey || e.metaKey || e.altKey || (target && typing(target))) return;
      const s = useStore.getState();
      if (e.key === ' ') {
        if (target && activatedBySpace(target)) return;
        e.preventDefault();
        toggleRun();
      } else if (e.key === '.' && ['paused', 'idle'].includes(runState())) stepRun();
      else if (e.key === 'X' && e.shiftKey) stopRun();
      else if (e.key === '?') s.setShortcutsOpen(!s.shortcutsOpen);
      else if (/^[1-6]$/.test(e.key)) s.setTab(TABS[Number(e.key) - 1].id);
    };
    const onPaste = (e: ClipboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA')) return;
      const files = Array.from(e.clipboardData?.files ?? []);
      if (files.length === 0) return;
      e.preventDefault();
      useStore.getState().setTab('data');
      void importFiles(files.map((file) => ({ file, path: file.name })));
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('paste', onPaste);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('paste', onPaste);
    };
  }, []);
}

export function ShortcutsDialog() {
  const open = useStore((s) => s.shortcutsOpen);
  const setOpen = useStore((s) => s.setShortcutsOpen);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} className="shortcuts" aria-label="Keyboard shortcuts" onClose={() => setOpen(false)}>
      <h2>Keyboard shortcuts</h2>
      <table>
        <tbody>
          {SHORTCUTS.map(([k, what]) => (
            <tr key={k}>
              <td>
                <kbd>{k}</kbd>
              </td>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" onClick={() => setOpen(false)} autoFocus>
        Close
      </button>
    </dialog>
  );
}
