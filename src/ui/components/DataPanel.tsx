// The "Data" step: the built-in demo dataset (the default), or a dataset folder (RAF-DB, IDX such
// as Fashion-MNIST, CIFAR binary batches, or class folders of JPEGs) dropped on the page
// or chosen with a folder picker, read and decoded in the ingest worker with progress and cancel,
// then kept in the dataset cache. Lists the cached datasets (select, delete), and for the selected
// one offers its label files (the clean one, or any other EmoLabel/*.txt with its measured noise)
// and shows what reading it skipped and why.
import { useEffect, useRef, useState, type DragEvent } from 'react';
import type { CachedDatasetInfo, LabelFileInfo } from '../../storage/dataset-cache.ts';
import { hasDirectoryPicker } from '../data-client.ts';
import { useControllers } from '../lab-context.tsx';
import { isIngesting, useData, type IngestState } from '../data-store.ts';
import { duration, pct } from '../format.ts';
import { bytesText, countText, dateText } from '../../engine/format.ts';
import { DatasetReport } from './DatasetReport.tsx';
import '../data.css';

const n = countText;
/** Short phases in tenths of a second; longer ones as "3 min 05 s". */
const secs = (s: number) => (s < 10 ? `${s.toFixed(1)} s` : duration(s));

const hasFiles = (e: { dataTransfer: DataTransfer | null }) => !!e.dataTransfer && Array.from(e.dataTransfer.types).includes('Files');

function progressLine(ing: IngestState): string {
  switch (ing.status === 'cancelling' ? 'cancelling' : ing.phase) {
    case 'cancelling':
      return 'Cancelling…';
    case 'collecting':
      return `Collecting the dropped files: ${n(ing.done)} found`;
    case 'listing':
      return ing.total ? `Listing files: ${n(ing.done)} / ${n(ing.total)}` : 'Looking for the dataset in the folder…';
    case 'decoding':
      if (ing.detail === 'reading files') return `Reading the dataset's files: ${n(ing.done)} / ${n(ing.total)}`;
      return `Decoding images: ${n(ing.done)} / ${n(ing.total)} · ${(ing.perSecond ?? 0).toFixed(0)} images/s · ETA ${duration(ing.etaSeconds)}`;
    case 'storing':
      if (ing.detail === 'storing the dataset' && ing.total > 0)
        return `Storing the dataset: ${bytesText(ing.done)} / ${bytesText(ing.total)}`;
      // The ingest worker writes the pixels while it decodes; what is left is the index and labels.
      return "Saving the dataset's index and labels…";
    default:
      return 'Starting…';
  }
}

function IngestProgress({ ing }: { ing: IngestState }) {
  const { cancelIngest } = useControllers().data;
  const fraction = ing.total > 0 ? Math.min(1, ing.done / ing.total) : 0;
  return (
    <div className="ingest-progress" data-testid="ingest-progress" data-phase={ing.phase ?? ''}>
      <p className="ingest-line">
        <strong>{ing.source}</strong>: <span data-testid="ingest-line">{progressLine(ing)}</span>
      </p>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)}>
        <div className="bar-fill" style={{ width: `${(fraction * 100).toFixed(1)}%` }} />
      </div>
      <button type="button" data-testid="ingest-cancel" onClick={cancelIngest} disabled={ing.status === 'cancelling'}>
        Cancel
      </button>
    </div>
  );
}

function IngestOutcome({ ing }: { ing: IngestState }) {
  if (ing.status === 'error') {
    return (
      <p className="error" role="alert" data-testid="ingest-error">
        {ing.error}
      </p>
    );
  }
  if (ing.status === 'cancelled')
    return (
      <p className="muted small" data-testid="ingest-cancelled">
        Cancelled: nothing was stored.
      </p>
    );
  if (ing.status !== 'done' || !ing.result) return null;
  const t = ing.result.timings;
  return (
    <p className="ingest-done small" data-testid="ingest-done" data-from-cache={String(ing.result.fromCache)}>
      {ing.result.fromCache
        ? `${ing.source}: already in the dataset cache (same files and sizes), not read again.`
        : `${ing.source}: read, decoded and cached in ${secs(t.total)} (${secs(t.decoding)} of it reading and decoding).`}
      {ing.unopened.length > 0 && ` ${n(ing.unopened.length)} files could not be opened and count as missing.`}
    </p>
  );
}

function labelChoiceText(l: LabelFileInfo, clean: boolean): string {
  if (clean) return `clean labels (${l.file})`;
  if (!l.usable) return `${l.file}: labels no training image`;
  const noise = l.noise!;
  return `${l.file}: ${pct(noise.rate)} noise (${n(noise.changed)} changed)`;
}

/** The chosen label file's full line (the select's hover text). */
function labelFileTitle(files: LabelFileInfo[], chosen: string | null, firstIsClean = true): string {
  const i = chosen === null ? 0 : files.findIndex((l) => l.file === chosen);
  return i < 0 ? '' : labelChoiceText(files[i], firstIsClean && i === 0);
}

function CachedItem({ info, selected }: { info: CachedDatasetInfo; selected: boolean }) {
  const { removeDataset } = useControllers().data;
  const select = useData((s) => s.select);
  const [deleting, setDeleting] = useState(false);
  return (
    <li
      className={`cached${selected ? ' selected' : ''}`}
      data-testid="cached-dataset"
      data-key={info.key}
      data-selected={String(selected)}
    >
      <div className="cached-text">
        <strong>{info.name}</strong>
        <span className="muted small">
          {info.source} · {bytesText(info.bytes)} · {dateText(info.createdAt)}
        </span>
      </div>
      <div className="cached-actions">
        <button
          type="button"
          data-testid="cached-select"
          disabled={selected}
          onClick={() => select({ kind: 'cached', key: info.key, name: info.name, labelFile: null })}
        >
          {selected ? 'In use' : 'Use'}
        </button>
        <button
          type="button"
          className="danger"
          data-testid="cached-delete"
          disabled={deleting}
          title="Delete it from this browser's dataset cache (the folder on disk is not touched)"
          onClick={() => {
            setDeleting(true);
            void removeDataset(info.key)
              .catch((e: unknown) => console.warn('[eac] could not delete the dataset', e))
              .finally(() => setDeleting(false));
          }}
        >
          Delete
        </button>
      </div>
    </li>
  );
}

/**
 * A dataset of another format than RAF-DB: trained on its own labels, or on a `name label` file
 * added here (e.g. `eac dataset labels` output: a noisy label set saved and shared).
 */
function OwnLabelFiles({
  info,
  chosen,
  onChoose,
}: {
  info: CachedDatasetInfo;
  chosen: string | null;
  onChoose: (f: string | null) => void;
}) {
  const { addDatasetLabelFile } = useControllers().data;
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const add = (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    void addDatasetLabelFile(info.key, file).then((why) => {
      setError(why);
      setBusy(false);
    });
  };
  const classes = info.classes ?? [];
  return (
    <>
      <p className="small" data-testid="dataset-classes">
        {n(classes.length)} classes, {info.width}×{info.height} px images.{' '}
        {info.labelFiles.length === 0 ? 'Trained on its own labels (add label noise in the run settings, or a label file below).' : ''}
      </p>
      {info.labelFiles.length > 0 && (
        <div className="field">
          <label htmlFor="label-file">Training labels</label>
          <select
            id="label-file"
            data-testid="label-file"
            value={chosen ?? ''}
            title={chosen ? labelFileTitle(info.labelFiles, chosen, false) : 'its own labels'}
            onChange={(e) => onChoose(e.target.value === '' ? null : e.target.value)}
          >
            <option value="">its own labels (clean)</option>
            {info.labelFiles.map((l) => (
              <option key={l.file} value={l.file} disabled={!l.usable}>
                {labelChoiceText(l, false)}
              </option>
            ))}
          </select>
          <small>Test accuracy is always measured against the clean labels.</small>
        </div>
      )}
      <label className="small label-file-add">
        Add a label file (<code>name label</code> lines, labels 1–{classes.length}, as <code>eac dataset labels</code> writes):{' '}
        <input
          type="file"
          accept=".txt,text/plain"
          data-testid="label-file-add"
          disabled={busy}
          onChange={(e) => add(e.target.files?.[0])}
        />
      </label>
      {error && (
        <p className="error small" role="alert" data-testid="label-file-add-error">
          {error}
        </p>
      )}
    </>
  );
}

export function DataPanel() {
  const basicClasses = useData((s) => s.basicClasses);
  const setBasicClasses = useData((s) => s.setBasicClasses);
  const { ingestDrop, ingestInputFiles, pickFolder, refreshDatasets } = useControllers().data;
  const selected = useData((s) => s.selected);
  const datasets = useData((s) => s.datasets);
  const datasetsStatus = useData((s) => s.datasetsStatus);
  const datasetsError = useData((s) => s.datasetsError);
  const ing = useData((s) => s.ingest);
  const select = useData((s) => s.select);
  const setLabelFile = useData((s) => s.setLabelFile);
  const [dragging, setDragging] = useState(false);
  const [pickError, setPickError] = useState<string | null>(null);
  const inputRef = useRef<HTMLInputElement | null>(null);
  const running = isIngesting(ing.status);

  useEffect(() => {
    void refreshDatasets();
    // A folder dropped next to the zone must not make the browser navigate away to it.
    const guard = (e: globalThis.DragEvent) => {
      if (hasFiles(e)) e.preventDefault();
    };
    window.addEventListener('dragover', guard);
    window.addEventListener('drop', guard);
    return () => {
      window.removeEventListener('dragover', guard);
      window.removeEventListener('drop', guard);
    };
  }, [refreshDatasets]);

  const onDragOver = (e: DragEvent<HTMLDivElement>) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = running ? 'none' : 'copy';
    setDragging(true);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (!running) ingestDrop(e.dataTransfer);
  };
  const choose = () => {
    setPickError(null);
    if (hasDirectoryPicker()) {
      pickFolder().catch((err: unknown) => setPickError(`the folder picker failed: ${err instanceof Error ? err.message : String(err)}`));
    } else {
      inputRef.current?.click();
    }
  };

  const current = selected.kind === 'cached' ? datasets.find((d) => d.key === selected.key) : undefined;
  return (
    <section className="panel data" aria-label="Data" data-testid="data-panel">
      <h2>1 · Data</h2>
      <button
        type="button"
        className={`demo-choice${selected.kind === 'demo' ? ' selected' : ''}`}
        data-testid="use-demo"
        aria-pressed={selected.kind === 'demo'}
        onClick={() => select({ kind: 'demo' })}
      >
        <span>Use the built-in demo dataset</span>
        <small>Generated faces with the 7 expressions; nothing to download.</small>
      </button>
      <div
        className={`dropzone${dragging ? ' dragging' : ''}${running ? ' busy' : ''}`}
        data-testid="dropzone"
        onDragEnter={onDragOver}
        onDragOver={onDragOver}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <p className="drop-title">Drop a dataset folder here</p>
        <p className="muted small">
          RAF-DB (its root, parent or basic/), IDX files (MNIST, Fashion-MNIST), CIFAR binary batches, Tiny-ImageNet, FERPlus, AffectNet, or
          class folders of JPEGs and PNGs
        </p>
        <button type="button" data-testid="choose-folder" onClick={choose} disabled={running}>
          Choose folder…
        </button>
        <input
          type="file"
          hidden
          data-testid="folder-input"
          ref={(el) => {
            inputRef.current = el;
            el?.setAttribute('webkitdirectory', '');
          }}
          onChange={(e) => {
            const files = e.currentTarget.files;
            if (files?.length) ingestInputFiles(Array.from(files));
            e.currentTarget.value = '';
          }}
        />
        <p className="muted tiny">Read in this browser only; the images never leave your computer.</p>
      </div>
      <label className="small basic-classes">
        <input
          type="checkbox"
          data-testid="basic-classes"
          checked={basicClasses}
          disabled={running}
          onChange={(e) => setBasicClasses(e.target.checked)}
        />{' '}
        FERPlus and AffectNet: read their 7 basic expressions (contempt dropped, as the paper does), not 8
      </label>
      {pickError && (
        <p className="error" role="alert">
          {pickError}
        </p>
      )}
      <div className="ingest" data-testid="ingest" data-ingest-id={ing.id} data-status={ing.status}>
        {running ? <IngestProgress ing={ing} /> : <IngestOutcome ing={ing} />}
      </div>

      <h3>Cached datasets</h3>
      {datasetsStatus === 'unavailable' ? (
        <p className="error small" data-testid="datasets-error">
          {datasetsError}
        </p>
      ) : datasets.length === 0 ? (
        <p className="muted small" data-testid="no-cached">
          {datasetsStatus === 'loading'
            ? 'Looking…'
            : 'None yet: a folder you read is kept here, so a reload trains without reading it again.'}
        </p>
      ) : (
        <ul className="cached-list" data-testid="cached-datasets">
          {datasets.map((d) => (
            <CachedItem key={d.key} info={d} selected={selected.kind === 'cached' && selected.key === d.key} />
          ))}
        </ul>
      )}

      {current && selected.kind === 'cached' && (
        <div className="selected-dataset" data-testid="selected-dataset">
          {current.classes ? (
            <OwnLabelFiles info={current} chosen={selected.labelFile} onChoose={setLabelFile} />
          ) : current.labelFiles.length === 0 ? (
            <p className="small" data-testid="dataset-classes">
              {current.width}×{current.height} px images. Trained on its own labels (add label noise in the run settings).
            </p>
          ) : (
            <div className="field">
              <label htmlFor="label-file">Training labels</label>
              <select
                id="label-file"
                data-testid="label-file"
                value={selected.labelFile ?? ''}
                // A native select cannot wrap: the chosen file's full line shows on hover.
                title={labelFileTitle(current.labelFiles, selected.labelFile)}
                onChange={(e) => setLabelFile(e.target.value === '' ? null : e.target.value)}
              >
                {current.labelFiles.map((l, i) => (
                  <option key={l.file} value={i === 0 ? '' : l.file} disabled={!l.usable}>
                    {labelChoiceText(l, i === 0)}
                  </option>
                ))}
              </select>
              <small>Test accuracy is always measured against the clean labels.</small>
            </div>
          )}
          <DatasetReport info={current} />
        </div>
      )}
    </section>
  );
}
