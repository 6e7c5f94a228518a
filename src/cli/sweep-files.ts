// The sweep's own files read back: the sweep in an out dir (or a new one from the flags), and a
// cell's run JSON (untrusted input: a regular file, bounded in size and nesting).
import path from 'node:path';
import { UsageError, type Flags } from './args.ts';
import { readRegularFile } from './read-file.ts';
import { parseBoundedJson, RUN_FILE_BOUNDS } from '../engine/bounded-json.ts';
import { loadSweep, SWEEP_FILE } from './sweep-dir.ts';
import { cellFiles, rerunFlags, SPEC_FLAGS, specDifference, specFromFlags } from './sweep-plan.ts';
import { createSweep, formatNoise, methodLabel, runFromTrainJson, type SweepEvent, type SweepState } from '../engine/sweep/index.ts';

/** Most bytes an imported run JSON may have (a 60-epoch run with --log-steps is ~3 MB; JSON.parse needs several times the text). */
export const IMPORT_MAX_BYTES = 64 << 20;

/** A new sweep from the flags. */
export function newSweep(v: Flags): SweepState {
  const spec = specFromFlags(v);
  const createdAt = Date.now();
  return createSweep(spec, {
    id: `sweep-${createdAt.toString(36)}`,
    name: `${spec.methods.map(methodLabel).join(' vs ')} at noise ${spec.noiseRates.map(formatNoise).join(', ')}`,
    createdAt,
  });
}

/** The flags give a sweep's settings (not only how to run it). */
export const givesSpec = (v: Flags) => SPEC_FLAGS.some((f) => v[f] !== undefined);

/** The sweep in DIR, or a new one from the flags; a rerun with other settings is refused. */
export function openSweep(dir: string, v: Flags): SweepState {
  const stored = loadSweep(dir);
  if (!stored) {
    if (!givesSpec(v))
      throw new UsageError(`--out ${dir}: no sweep there yet; give its settings (--demo or --data, --methods, --noise, ...)`);
    return newSweep(v);
  }
  checkSameSweep(dir, stored, v);
  return stored;
}

/** Refuses flags that ask for another sweep than the one stored in DIR. */
export function checkSameSweep(dir: string, stored: SweepState, v: Flags): void {
  if (givesSpec(v)) {
    const diff = specDifference(stored.spec, specFromFlags(rerunFlags(stored.spec, v)));
    if (diff)
      throw new UsageError(
        `${path.join(dir, SWEEP_FILE)} is a different sweep: ${diff} (rerun with its settings, or none, or another --out)`,
      );
  }
}

/**
 * A run JSON of `eac train --out`, read as untrusted input: a regular file (in the sweep's own
 * folder, never a link), its size and its nesting bounded.
 */
export function readRunJson(file: string, noLinks = false): { bytes: Uint8Array; run: ReturnType<typeof runFromTrainJson> } {
  const bytes = readRegularFile(file, {
    checkSize(size) {
      if (size > IMPORT_MAX_BYTES) throw new Error(`${size} bytes, more than a run file can have`);
    },
    notRegular: (m) => new Error(m),
    noLinks,
  });
  const text = new TextDecoder().decode(bytes);
  return {
    bytes,
    run: runFromTrainJson(
      parseBoundedJson(text, RUN_FILE_BOUNDS, (why) => new Error(why)),
      path.basename(file),
    ),
  };
}

/** A finished cell's summary, from the run JSON it wrote. */
export function readResult(dir: string, cellId: string): SweepEvent {
  const file = cellFiles(dir, cellId).run;
  try {
    const { run } = readRunJson(file, true);
    return { type: 'finish', cellId, summary: run.summary, at: Date.now() };
  } catch (e) {
    return { type: 'fail', cellId, reason: `its run JSON ${file} cannot be read: ${(e as Error).message}` };
  }
}
