// Async work with a bounded number of tasks in flight: sizes of thousands of files, chunk reads
// and writes. IndexedDB and file reads overlap a few requests; more in flight only holds more memory.

/** Maps `xs` through `f` with at most `limit` calls in flight; results in input order. */
export async function mapLimited<T, R>(xs: readonly T[], limit: number, f: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(xs.length);
  let next = 0;
  const lane = async () => {
    while (next < xs.length) {
      const i = next++;
      out[i] = await f(xs[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, xs.length) }, lane));
  return out;
}

/**
 * Runs tasks with at most `limit` in flight. After a failure no new task starts, and the error is
 * thrown only once every started task has settled (so nothing is still writing when the caller
 * cleans up).
 */
export async function runLimited(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  const lane = async () => {
    while (failure === null && next < count) {
      const i = next++;
      try {
        await task(i);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  if (failure) throw (failure as { error: unknown }).error;
}
