// The cross-tab side of a sweep, impure: the page's Web Locks (navigator.locks). A sweep's lock
// makes one tab its driver; a cell's lock is held by the tab that trains it (sweep-claims.ts says,
// purely, which cell a tab may claim). Without Web Locks every lock is granted and none is held.

/** The origin's held Web Lock names (every tab's); none without Web Locks. */
export async function heldLockNames(): Promise<string[]> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return [];
  const q = await locks.query();
  return (q.held ?? []).flatMap((l) => (l.name ? [l.name] : []));
}

/** Takes a Web Lock if no other tab holds it; resolves to its release, or null (also when the request fails). */
export async function takeLock(name: string): Promise<(() => void) | null> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return () => {};
  return new Promise((resolve) => {
    locks
      .request(name, { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve(null);
          return undefined;
        }
        return new Promise<void>((release) => resolve(release));
      })
      .catch(() => resolve(null));
  });
}
