// A value as it was at the render clock's last chart beat (src/ui/render-clock.ts), or the value
// itself when `immediate` (a finished, paused or new run is drawn at once).
import { useRef, useSyncExternalStore } from 'react';
import type { RenderClock } from '../render-clock.ts';

export function useChartBeat<T>(clock: RenderClock, value: T, immediate: boolean): T {
  const beat = useSyncExternalStore(clock.subscribe, clock.chartBeat);
  const shown = useRef<{ value: T; beat: number } | null>(null);
  // Taking the value during render keeps it in step with the beat that caused the render; doing
  // it again in a repeated render gives the same answer.
  if (shown.current === null || immediate || shown.current.beat !== beat) shown.current = { value, beat };
  return shown.current.value;
}
