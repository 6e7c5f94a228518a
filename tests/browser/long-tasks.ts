// The page's main-thread long tasks (Long Tasks API, over 50 ms), each with what the overlapping
// long-animation frames say ran in it: the callbacks (a worker message, React's scheduler, a
// requestAnimationFrame callback, an IndexedDB answer, a timer) and the frame's rendering time.
// Used by the end-to-end lab test, scripts/measure/long-tasks.ts and scripts/bench/lab-run.ts.
import type { Page } from 'playwright-core';

export interface LongTask {
  /** ms after the window's start. */
  start: number;
  duration: number;
  /** What ran, e.g. "user-callback FrameRequestCallback 42 ms", "rendering 12 ms (style and layout 3 ms)". */
  scripts: string[];
}

interface Raw {
  start: number;
  duration: number;
  scripts?: string[];
}

/** Starts recording on every document the page loads from now on (call before `goto`). */
export async function recordLongTasks(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const w = window as unknown as { __eacLongTasks: unknown[]; __eacFrames: unknown[] };
    w.__eacLongTasks = [];
    w.__eacFrames = [];
    new PerformanceObserver((l) =>
      l.getEntries().forEach((e) => w.__eacLongTasks.push({ start: e.startTime, duration: e.duration })),
    ).observe({ type: 'longtask', buffered: true });
    new PerformanceObserver((l) =>
      l.getEntries().forEach((e) => {
        const f = e as PerformanceEntry & {
          scripts?: { invokerType: string; invoker: string; duration: number }[];
          renderStart: number;
          styleAndLayoutStart: number;
        };
        const end = f.startTime + f.duration;
        const scripts = (f.scripts ?? []).map((s) => `${s.invokerType} ${s.invoker} ${Math.round(s.duration)} ms`);
        // The frame's rendering: requestAnimationFrame callbacks etc. from renderStart, then style and layout (paint follows, off this clock).
        if (f.renderStart > 0)
          scripts.push(`rendering ${Math.round(end - f.renderStart)} ms (style and layout ${Math.round(end - f.styleAndLayoutStart)} ms)`);
        w.__eacFrames.push({ start: f.startTime, duration: f.duration, scripts });
      }),
    ).observe({ type: 'long-animation-frame', buffered: true });
  });
}

/** The page's clock (performance.now()), to mark a window's start and end. */
export function pageNow(page: Page): Promise<number> {
  return page.evaluate(() => performance.now());
}

/** The long tasks that started between t0 and t1 (page clock; t1 default: now). */
export async function longTasksBetween(page: Page, t0: number, t1 = Infinity): Promise<LongTask[]> {
  const { tasks, frames } = await page.evaluate(() => {
    const w = window as unknown as { __eacLongTasks: Raw[]; __eacFrames: Raw[] };
    return { tasks: w.__eacLongTasks, frames: w.__eacFrames };
  });
  return tasks
    .filter((t) => t.start >= t0 && t.start <= t1)
    .map((t) => ({
      start: Math.round(t.start - t0),
      duration: Math.round(t.duration),
      scripts: frames.filter((f) => f.start <= t.start + t.duration && f.start + f.duration >= t.start).flatMap((f) => f.scripts ?? []),
    }));
}
