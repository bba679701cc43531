/** Hooks charts share: element width, store values re-read at most once per animation frame, and
 *  a value passed on at most every so often. */
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { useStore, type Store } from '../store';
import { Spacing } from './spacing';

/** Content size of an element, updated on resize. */
export function useSize<T extends HTMLElement>(): [RefObject<T | null>, { width: number; height: number }] {
  const ref = useRef<T>(null);
  const [size, setSize] = useState({ width: 0, height: 0 });
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setSize({ width: el.clientWidth, height: el.clientHeight });
    const ro = new ResizeObserver(([entry]) =>
      setSize({ width: Math.floor(entry.contentRect.width), height: Math.floor(entry.contentRect.height) }),
    );
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return [ref, size];
}

/** Content width of an element, updated on resize. */
export function useWidth<T extends HTMLElement>(): [RefObject<T | null>, number] {
  const [ref, size] = useSize<T>();
  return [ref, size.width];
}

/**
 * A store value that re-renders the component at most once per animation frame and at most every
 * `minIntervalMs`, however often the store changes (metrics arrive in bursts while training).
 */
export function useFrameThrottled<T>(selector: (s: Store) => T, minIntervalMs = 0): T {
  const [value, setValue] = useState(() => selector(useStore.getState()));
  const selectorRef = useRef(selector);
  selectorRef.current = selector;
  useEffect(() => {
    let frame = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const update = () => {
      timer = undefined;
      frame = requestAnimationFrame(() => {
        frame = 0;
        last = performance.now();
        setValue(selectorRef.current(useStore.getState()));
      });
    };
    const unsub = useStore.subscribe(() => {
      if (frame || timer !== undefined) return;
      timer = setTimeout(update, Math.max(0, last + minIntervalMs - performance.now()));
    });
    return () => {
      unsub();
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [minIntervalMs]);
  return value;
}

/** How often live charts redraw while training, ms: smooth to the eye, cheap for the main thread. */
export const CHART_REDRAW_MS = 250;

/**
 * `value`, passed on at most once every `ms` (the first change at once, later ones at the end of
 * their interval, the latest value winning): for text a screen reader announces.
 */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState(value);
  const spacing = useRef<Spacing | null>(null);
  if (spacing.current?.ms !== ms) spacing.current = new Spacing(ms);
  const mounted = useRef(false);
  // Runs in the commit that put `shown` on the page, so the interval counts from there.
  useLayoutEffect(() => {
    if (mounted.current) spacing.current?.shown(performance.now());
    mounted.current = true;
  }, [shown]);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const timer = setTimeout(() => setShown(value), spacing.current?.delay(performance.now()) ?? 0);
    return () => clearTimeout(timer);
  }, [value, shown, ms]);
  return shown;
}
