// A promise that gives up: a backend whose start never settles (a WebAssembly thread that died
// while loading, a GPU driver that never answers) must not leave the page on "choosing…" forever.

export class TimeoutError extends Error {}

/** `work`'s value, or a TimeoutError saying what took longer than `ms`. `work` itself is not stopped. */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${Math.round(ms / 1000)} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
