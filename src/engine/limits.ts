// The ranges a run's settings and figures must lie in, wherever they come from (the form, flags, a
// checkpoint, a run file, a stored record). A leaf module (no imports): the page's readers use it
// without loading the engine or TensorFlow.js.

/**
 * The ranges a run's settings must lie in, wherever they come from (the form, flags, a checkpoint
 * or a link): what the flags accept (src/cli/args.ts) is these.
 */
export const CONFIG_LIMITS = {
  width: [1, 1024],
  size: [32, 2048],
  batchSize: [1, 4096],
  epochs: [1, 100_000],
  steps: [1, 2 ** 31 - 1],
  seed: [0, 0xffffffff],
  /** The demo dataset's training and test counts (--demo-train, --demo-test). */
  demoCount: [1, 20_000],
  /** Seconds between checkpoints within an epoch (--checkpoint-every-s): in (0, this]. */
  checkpointSeconds: [0, 1e7],
} as const;

/** A checkpoint cadence in seconds, as --checkpoint-every-s accepts it. */
export const checkpointSecondsOk = (x: unknown): boolean =>
  typeof x === 'number' && Number.isFinite(x) && x > CONFIG_LIMITS.checkpointSeconds[0] && x <= CONFIG_LIMITS.checkpointSeconds[1];
