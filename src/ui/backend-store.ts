// The training worker's backend (zustand): the one it runs on (or is starting), the one the user
// asked for, the last probe's measurements, and a problem not tied to a run (no backend, the
// worker crashed). Worker messages reach it through worker-messages.ts.
import type { DeviceMemory } from '../engine/memory-fit.ts';
import { create } from 'zustand';
import type { BackendAttempt, BackendName, BackendPreference, ProbeReport } from '../worker/protocol.ts';

export interface BackendState {
  status: 'pending' | 'ready' | 'failed';
  name: BackendName | null;
  adapter: string | null;
  reason: string | null;
  attempts: BackendAttempt[];
  versions: Record<string, string>;
  /** What a step may hold on it (src/engine/memory-fit.ts); null: not known. */
  memory: DeviceMemory | null;
}

export interface BackendStoreState {
  backend: BackendState;
  /** The backend the user asked for (Backend panel, ?backend=); 'auto': the probe's fastest. */
  backendPref: BackendPreference;
  /** The last probe's report (images/s per backend for the model shape of the run that probed). */
  probe: ProbeReport | null;
  /** A problem not tied to a run (no backend, worker crashed). */
  workerError: string | null;
  setBackendPref: (pref: BackendPreference) => void;
  /** A fresh worker: its backend is pending again. */
  resetBackend: () => void;
}

export const pendingBackend: BackendState = {
  status: 'pending',
  name: null,
  adapter: null,
  reason: null,
  attempts: [],
  versions: {},
  memory: null,
};

export const useBackend = create<BackendStoreState>()((set) => ({
  backend: pendingBackend,
  backendPref: 'auto',
  probe: null,
  workerError: null,
  setBackendPref: (backendPref) => set({ backendPref }),
  resetBackend: () => set({ backend: pendingBackend, workerError: null }),
}));
