// A run as the lab stores it (src/storage/run-store.ts) and reads it back
// (src/storage/run-record-check.ts): types only.
import type { EpochMetrics, RunSummary } from '../engine/run-types.ts';
import type { RunRequest } from '../engine/run-request.ts';

export type RunStatus = 'running' | 'paused' | 'done' | 'stopped' | 'error';

export interface RunRecord {
  key: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  /** As last written by the worker; 'running'/'paused' with no worker holding the run's lock means interrupted. */
  status: RunStatus;
  request: RunRequest;
  epochs: EpochMetrics[];
  /** The epoch of the stored checkpoint (null: none yet): its last whole epoch. */
  checkpointEpoch: number | null;
  /** Its optimiser step, and whether it is within the next epoch (absent on records of older versions). */
  checkpointStep?: number;
  checkpointPartial?: boolean;
  summary: RunSummary | null;
  error: string | null;
  /** Set on runs imported from a file (another machine, `eac train --out`): where from, and a fingerprint that spots re-imports. */
  imported?: { file: string; format: string; at: string; fingerprint: string };
  /** The measured share of flipped training labels, when the run's source reported it (imports). */
  labelNoise?: number | null;
  /** The dataset's class names (absent: RAF-DB's seven, and records of older versions). */
  classes?: string[];
  /** The backend the run trained on, what the user asked for ('auto' or a backend), and why (absent on older records). */
  backend?: RunBackend;
}

export interface RunBackend {
  name: string;
  preference: string;
  reason: string;
  /** The probe's line when 'auto' measured the backends (or read them from this device's cache). */
  probe: string | null;
}
