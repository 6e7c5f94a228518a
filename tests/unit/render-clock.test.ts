// The page's one render clock: held worker messages are applied once per tick, charts follow every
// CHART_EVERY_TICKS-th tick. (RENDER_TICK_MS is defined as the worker's STEP_MESSAGE_INTERVAL_MS.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHART_EVERY_TICKS, RENDER_TICK_MS, RenderClock } from '../../src/ui/render-clock.ts';

/** A clock on a fake timer: `advance` runs what is due. */
function fakeClock() {
  let now = 0;
  const timers = new Map<number, { at: number; run: () => void }>();
  let nextId = 1;
  let flushes = 0;
  const clock = new RenderClock({
    flush: () => flushes++,
    schedule: (run, ms) => {
      const id = nextId++;
      timers.set(id, { at: now + ms, run });
      return id;
    },
    cancel: (id) => timers.delete(id as number),
    now: () => now,
  });
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      timers.delete(due[0]);
      now = due[1].at;
      due[1].run();
    }
    now = end;
  };
  return { clock, advance, flushes: () => flushes, timers: () => timers.size };
}

test('held messages are applied once per tick, however many arrive', () => {
  const f = fakeClock();
  for (let i = 0; i < 5; i++) f.clock.held();
  assert.equal(f.flushes(), 0);
  assert.equal(f.timers(), 1);
  f.advance(RENDER_TICK_MS - 1);
  assert.equal(f.flushes(), 0);
  f.advance(1);
  assert.equal(f.flushes(), 1);
  // Idle while nothing arrives.
  f.advance(10 * RENDER_TICK_MS);
  assert.equal(f.flushes(), 1);
  assert.equal(f.timers(), 0);
});

test('charts beat at most once per CHART_EVERY_TICKS ticks while steps stream; an urgent flush is off the beat', () => {
  const f = fakeClock();
  let beats = 0;
  const unsubscribe = f.clock.subscribe(() => beats++);
  const chartMs = CHART_EVERY_TICKS * RENDER_TICK_MS;
  // Twelve ticks of streaming (3 s): the first tick beats at once, then one beat per second.
  for (let i = 0; i < 3 * CHART_EVERY_TICKS; i++) {
    f.clock.held();
    f.advance(RENDER_TICK_MS);
  }
  assert.equal(f.flushes(), 3 * CHART_EVERY_TICKS);
  assert.equal(beats, 3);
  f.advance(chartMs);
  assert.equal(beats, 4, 'the steps of the last ticks are drawn within a second after they stop');
  f.clock.held();
  f.clock.flushNow();
  assert.equal(f.timers(), 0, 'the held tick is cancelled: its messages were applied');
  assert.equal(f.clock.chartBeat(), 4);
  unsubscribe();
  f.clock.held();
  f.advance(chartMs);
  assert.equal(beats, 4, 'an unsubscribed chart hears no more beats');
  assert.equal(f.clock.chartBeat(), 5);
});

test('a slow run (one step message every 5 s): each step is drawn at its own tick, not four steps later', () => {
  const f = fakeClock();
  let beats = 0;
  f.clock.subscribe(() => beats++);
  for (let i = 0; i < 3; i++) {
    f.clock.held();
    f.advance(5000);
  }
  assert.equal(f.flushes(), 3);
  assert.equal(beats, 3);
});
