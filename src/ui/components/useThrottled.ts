// A value that follows `value` at most once every `ms` (the latest value wins), or at once when
// `immediate`: charts redraw about once a second however often the worker reports steps, and at
// once when a run ends or restarts.
import { useEffect, useRef, useState } from 'react';

export function useThrottled<T>(value: T, ms: number, immediate = false): T {
  const [shown, setShown] = useState(value);
  const lastAt = useRef(0);
  useEffect(() => {
    if (Object.is(value, shown)) return;
    const wait = immediate ? 0 : lastAt.current + ms - performance.now();
    if (wait <= 0) {
      lastAt.current = performance.now();
      setShown(value);
      return;
    }
    const timer = setTimeout(() => {
      lastAt.current = performance.now();
      setShown(value);
    }, wait);
    return () => clearTimeout(timer);
  }, [value, shown, ms, immediate]);
  return shown;
}
