// Keeps the page's URL and the lab's settings in step (the format is src/ui/url-state.ts): on load
// the form, the data and the weights are taken from the URL (the data and weights once their
// caches are listed); after that, every change of them rewrites the URL with
// history.replaceState. What a link asks for and this browser lacks (a dataset or weights not in
// its caches, an invalid value) is skipped and said in the lab's notice. createUrlSync is called
// once by createLab; main.tsx installs it before the first render.
import { useBackend } from './backend-store.ts';
import { useSettings } from './settings-store.ts';
import { useNotices } from './notices-store.ts';
import { useData, type DataSelection } from './data-store.ts';
import { useWeights } from './weights-store.ts';
import type { WeightsController } from './weights-client.ts';
import { decodeUrlState, urlWithState, type UrlData, type UrlState } from './url-state.ts';

function dataOf(sel: DataSelection): UrlData {
  return sel.kind === 'cached' ? { kind: 'cached', key: sel.key, labelFile: sel.labelFile } : { kind: 'demo' };
}

/** Runs `fn` once the store's list has been read (after the code that reads it has restored its own choice). */
function whenListed<S>(
  store: { getState(): S; subscribe(fn: (s: S) => void): () => void },
  listed: (s: S) => boolean,
  fn: () => void,
): void {
  const go = (): void => void setTimeout(fn, 0);
  if (listed(store.getState())) {
    go();
    return;
  }
  const stop = store.subscribe((s) => {
    if (!listed(s)) return;
    stop();
    go();
  });
}

/** The URL side of the lab (one per lab: createLab). */
export type UrlSync = ReturnType<typeof createUrlSync>;

export function createUrlSync(weights: Pick<WeightsController, 'selectWeights'>) {
  /** The URL's data and weights until their caches are listed (they win over the remembered choice). */
  const pending: { data: UrlData | null; weights: string | null | undefined } = { data: null, weights: undefined };
  const problems: string[] = [];

  /** The lab state the URL should show now. */
  function currentUrlState(): UrlState {
    return {
      draft: useSettings.getState().draft,
      data: pending.data ?? dataOf(useData.getState().selected),
      weights: pending.weights !== undefined ? pending.weights : (useWeights.getState().selected?.key ?? null),
      backend: useBackend.getState().backendPref,
    };
  }

  function writeUrl(): void {
    const next = urlWithState(location.href, currentUrlState());
    if (next !== location.href) history.replaceState(history.state, '', next);
  }

  function report(): void {
    if (problems.length === 0) return;
    useNotices.getState().setNotice(`The link's settings were applied except: ${problems.join('; ')}.`);
  }

  function applyData(want: UrlData): void {
    if (want.kind === 'demo') {
      useData.getState().select({ kind: 'demo' });
      return;
    }
    pending.data = want;
    whenListed(
      useData,
      (s) => s.datasetsStatus !== 'loading',
      () => {
        pending.data = null;
        const { datasets, datasetsStatus, select } = useData.getState();
        const info = datasets.find((d) => d.key === want.key);
        if (!info) {
          problems.push(
            datasetsStatus === 'ready'
              ? `the dataset ${want.key} is not in this browser's cache (add its folder in step 1; the demo is selected)`
              : `the dataset cache cannot be read here`,
          );
          select({ kind: 'demo' });
        } else {
          let labelFile = want.labelFile;
          if (labelFile && !info.labelFiles.some((l) => l.file === labelFile)) {
            problems.push(`${info.name} has no label file ${labelFile} (the clean labels are selected)`);
            labelFile = null;
          }
          select({ kind: 'cached', key: info.key, name: info.name, labelFile });
        }
        report();
        writeUrl();
      },
    );
  }

  function applyWeights(want: string | null): void {
    pending.weights = want;
    whenListed(
      useWeights,
      (s) => s.listStatus !== 'loading',
      () => {
        pending.weights = undefined;
        const { records } = useWeights.getState();
        if (want && !records.some((r) => r.key === want))
          problems.push(`the weights ${want} are not in this browser's cache (import the file in step 2; random init is selected)`);
        weights.selectWeights(want && records.some((r) => r.key === want) ? want : null);
        report();
        writeUrl();
      },
    );
  }

  let installed = false;

  /** Fills the lab from the URL, then keeps the URL following the lab. Call once, before the first render. */
  function install(): void {
    if (installed) return;
    installed = true;
    const url = decodeUrlState(location.search);
    problems.push(...url.problems);
    if (url.backend) useBackend.getState().setBackendPref(url.backend);
    if (url.present) {
      const { setDraft } = useSettings.getState();
      for (const [k, v] of Object.entries(url.draft)) setDraft(k as keyof typeof url.draft, v as string);
      applyData(url.data);
      applyWeights(url.weights);
    }
    report();
    useSettings.subscribe((s, prev) => {
      if (s.draft !== prev.draft) writeUrl();
    });
    useBackend.subscribe((s, prev) => {
      if (s.backendPref !== prev.backendPref) writeUrl();
    });
    useData.subscribe((s, prev) => {
      if (s.selected !== prev.selected) writeUrl();
    });
    useWeights.subscribe((s, prev) => {
      if (s.selected !== prev.selected) writeUrl();
    });
    writeUrl();
  }

  return {
    currentUrlState,
    /** Fills the lab from the URL, then keeps the URL following the lab. Call once, before the first render. */
    install,
  };
}
