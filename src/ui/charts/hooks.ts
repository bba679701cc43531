/** Hooks charts share: element width, and store values re-read at most once per animation frame. */
import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { useStore, type Store } from '../store';

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
 * A store value that re-renders the component at most once per animation frame, however often the
 * store changes (metrics arrive in bursts while training).
 */
export function useFrameThrottled<T>(selector: (s: Store) => T): T {
  const [value, setValue] = useState(() => selector(useStore.getState()));
  const selectorRef = useRef(selector);
  selectorRef.current = selector;
  useEffect(() => {
    let frame = 0;
    const unsub = useStore.subscribe(() => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setValue(selectorRef.current(useStore.getState()));
      });
    });
    return () => {
      unsub();
      cancelAnimationFrame(frame);
    };
  }, []);
  return value;
}
