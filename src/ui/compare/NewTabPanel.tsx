// "New comparison tab": opens the lab in another tab with this tab's settings, data and weights
// (both come from the browser's caches there) and one thing changed: the method or the noise
// rate. Each tab trains its own run; every tab's comparison view shows them all.
import { useState } from 'react';
import { useSettings } from '../settings-store.ts';
import type { UrlState } from '../url-state.ts';
import { useControllers } from '../lab-context.tsx';
import { urlWithState } from '../url-state.ts';
import { nextNoiseRate, otherMethod, type MethodId } from './compare-data.ts';
import { ShareLink } from './ShareLink.tsx';

const NOISES = [0, 0.1, 0.2, 0.3, 0.4];

/** The lab's URL (training view) with the current settings and this method and noise rate. */
function comparisonTabUrl(state: UrlState, method: MethodId, noiseRate: number): string {
  const url = new URL(location.href);
  url.hash = '';
  return urlWithState(url.toString(), { ...state, draft: { ...state.draft, method, noiseRate: String(noiseRate) } });
}

export function NewTabPanel() {
  const { currentUrlState } = useControllers().url;
  const method = useSettings((s) => s.draft.method);
  const noise = Number(useSettings((s) => s.draft.noiseRate)) || 0;
  const [choice, setChoice] = useState<{ method: MethodId; noise: number } | null>(null);
  const want = choice ?? { method: otherMethod(method), noise };
  const open = (m: MethodId, n: number) => window.open(comparisonTabUrl(currentUrlState(), m, n), '_blank');
  const label = (m: MethodId) => (m === 'eac' ? 'EAC' : 'baseline');
  return (
    <section className="panel compare-actions" aria-label="New comparison tab">
      <h2>Train another run side by side</h2>
      <p className="muted">
        A new tab opens the lab with these settings ({label(method === 'baseline' ? 'baseline' : 'eac')}, {Math.round(noise * 100)}% noise),
        the same dataset and weights from this browser’s caches, and one change. Press Train there; the run appears here live.
      </p>
      <div className="new-tab-row">
        <button type="button" className="primary" onClick={() => open(otherMethod(method), noise)} data-testid="new-tab-method">
          New tab: {label(otherMethod(method))}, {Math.round(noise * 100)}% noise
        </button>
        <button
          type="button"
          onClick={() => open(method === 'baseline' ? 'baseline' : 'eac', nextNoiseRate(noise))}
          data-testid="new-tab-noise"
        >
          New tab: {label(method === 'baseline' ? 'baseline' : 'eac')}, {Math.round(nextNoiseRate(noise) * 100)}% noise
        </button>
        <span className="new-tab-custom">
          or
          <select
            aria-label="Method of the new tab"
            value={want.method}
            onChange={(e) => setChoice({ ...want, method: e.target.value as MethodId })}
          >
            <option value="eac">EAC</option>
            <option value="baseline">Baseline</option>
          </select>
          <select
            aria-label="Noise rate of the new tab"
            value={String(want.noise)}
            onChange={(e) => setChoice({ ...want, noise: Number(e.target.value) })}
          >
            {[...new Set([...NOISES, noise])]
              .sort((a, b) => a - b)
              .map((n) => (
                <option key={n} value={String(n)}>
                  {Math.round(n * 100)}% noise
                </option>
              ))}
          </select>
          <button type="button" onClick={() => open(want.method, want.noise)} data-testid="new-tab-custom">
            Open
          </button>
        </span>
      </div>
      <ShareLink />
    </section>
  );
}
