// Pretrained weights: import a PyTorch file (input or drop) with progress and Cancel, the cached
// list with select / rename / delete, the random-init warning, and the storage line.
import { useEffect, useState, type ChangeEvent, type DragEvent, type KeyboardEvent } from 'react';
import type { Arch } from '../../engine/resnet.ts';
import type { WeightsRecord } from '../../storage/weights-records.ts';
import { STAGE_LABELS, type ImportStage } from '../../storage/import-stages.ts';
import { isImporting, useWeights, type ImportState } from '../weights-store.ts';
import { useControllers } from '../lab-context.tsx';
import { duration } from '../format.ts';
import '../weights.css';
import { bytesText, countText, dateText } from '../../engine/format.ts';

const ACCEPT = '.pkl,.pickle,.pth,.pt,.safetensors';

const LAYOUT_TEXT: Record<WeightsRecord['layout'], string> = {
  'resnet50-caffe': 'ResNet-50 (VGGFace2 Caffe layout)',
  'resnet50-torchvision': 'ResNet-50 (torchvision layout)',
  resnet18: 'ResNet-18',
};

function headText(r: WeightsRecord): string {
  if (r.head === 'loaded') return '7-class head loaded';
  if (r.headClasses !== null) return `${countText(r.headClasses)}-way head dropped, new 7-class head per run`;
  return 'no head: new 7-class head per run';
}

/** Where the bar stands: reading is most of an import's wall time. */
const STAGE_SHARE: Record<ImportStage, [number, number]> = {
  read: [0, 0.6],
  hash: [0.6, 0.7],
  lookup: [0.7, 0.72],
  parse: [0.72, 0.85],
  map: [0.85, 0.9],
  store: [0.9, 0.99],
};

function barFraction(imp: ImportState): number {
  if (imp.status === 'done') return 1;
  const [a, b] = STAGE_SHARE[imp.stage];
  if (imp.stage !== 'read') return a;
  return a + (b - a) * (imp.size > 0 ? imp.done / imp.size : 0);
}

function progressText(imp: ImportState): string {
  if (imp.status === 'cancelling') return 'Cancelling…';
  const parts = [STAGE_LABELS[imp.stage]];
  if (imp.stage === 'read') {
    parts.push(`${bytesText(imp.done)} / ${bytesText(imp.size)}`);
    if (imp.perSecond) parts.push(`${bytesText(imp.perSecond)}/s`);
    if (imp.etaSeconds !== null) parts.push(`ETA ${duration(imp.etaSeconds)}`);
  } else if (imp.perSecond) {
    parts.push(`read at ${bytesText(imp.perSecond)}/s`);
  }
  return parts.join(' · ');
}

function ImportOutcome({ imp }: { imp: ImportState }) {
  const { cancelImport } = useControllers().weights;
  if (imp.status === 'running' || imp.status === 'cancelling') {
    return (
      <div className="weights-progress" data-testid="weights-progress" data-status={imp.status} data-stage={imp.stage}>
        <div className="weights-progress-head">
          <span className="weights-file-name" title={imp.fileName}>
            {imp.fileName}
          </span>
          <button
            type="button"
            className="small"
            data-testid="weights-cancel"
            disabled={imp.status === 'cancelling'}
            onClick={() => cancelImport()}
          >
            Cancel
          </button>
        </div>
        <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(barFraction(imp) * 100)}>
          <div className="bar-fill" style={{ width: `${(barFraction(imp) * 100).toFixed(1)}%` }} />
        </div>
        <small data-testid="weights-progress-text">{progressText(imp)}</small>
      </div>
    );
  }
  if (imp.status === 'cancelled') {
    return (
      <p className="weights-note muted" data-testid="weights-result" data-status="cancelled">
        Import of {imp.fileName} cancelled; nothing was stored.
      </p>
    );
  }
  if (imp.status === 'error' && imp.error) {
    const title =
      imp.error.kind === 'refused'
        ? `${imp.fileName} was refused`
        : imp.error.kind === 'quota'
          ? 'Not enough storage'
          : `Import of ${imp.fileName} failed`;
    return (
      <div className="weights-message weights-refused" data-testid="weights-error" data-kind={imp.error.kind} role="alert">
        <strong>{title}</strong>
        <p className="weights-verbatim">{imp.error.message}</p>
        {imp.error.kind === 'refused' && <p className="muted">Nothing was stored.</p>}
      </div>
    );
  }
  const r = imp.record;
  if (!r) return null;
  const rep = imp.report;
  const secs = imp.totalMs !== null ? `${(imp.totalMs / 1000).toFixed(1)} s` : '';
  return (
    <div
      className="weights-message weights-ok"
      data-testid="weights-result"
      data-status="done"
      data-cached={String(imp.cached)}
      data-key={r.key}
      data-total-ms={imp.totalMs !== null ? Math.round(imp.totalMs) : undefined}
      data-peak-heap={imp.peakHeapBytes ?? undefined}
      data-timings={JSON.stringify(imp.timings)}
    >
      {imp.cached ? (
        <p>
          <strong>Already cached</strong> as “{r.name}” (same content): nothing to convert, {secs}.
        </p>
      ) : (
        <p>
          <strong>Imported</strong> {imp.fileName} in {secs}: {LAYOUT_TEXT[r.layout]}, width {r.width}, {headText(r)}.
        </p>
      )}
      {rep && (
        <p className="weights-report" data-testid="weights-report">
          {rep.missing.length} missing · {rep.unexpected.length} unexpected · {rep.mismatched.length} mis-shaped keys
          {rep.unexpected.length > 0 && (
            <span className="muted">
              {' '}
              (unexpected: {rep.unexpected.slice(0, 4).join(', ')}
              {rep.unexpected.length > 4 ? ', …' : ''})
            </span>
          )}
        </p>
      )}
      {rep?.notes.map((n) => (
        <p key={n} className="weights-notes muted">
          {n}
        </p>
      ))}
    </div>
  );
}

function WeightsRow({ r, selected, busy }: { r: WeightsRecord; selected: boolean; busy: boolean }) {
  const { renameWeights, selectWeights, deleteWeights } = useControllers().weights;
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(r.name);
  const save = async () => {
    if (await renameWeights(r.key, draft)) setEditing(false);
  };
  const onKey = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') void save();
    if (e.key === 'Escape') setEditing(false);
  };
  return (
    <li className={`weights-row${selected ? ' selected' : ''}`} data-testid="weights-entry" data-key={r.key} data-name={r.name}>
      <div className="weights-row-main">
        {editing ? (
          <span className="weights-rename">
            <input
              aria-label={`New name for ${r.name}`}
              data-testid="weights-rename-input"
              value={draft}
              maxLength={200}
              // biome-ignore lint/a11y/noAutofocus: the field appears because the user chose Rename
              autoFocus
              onChange={(e: ChangeEvent<HTMLInputElement>) => setDraft(e.target.value)}
              onKeyDown={onKey}
            />
            <button type="button" className="small" data-testid="weights-rename-save" onClick={() => void save()}>
              Save
            </button>
            <button type="button" className="small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <label className="weights-pick">
            <input
              type="radio"
              name="weights-choice"
              data-testid="weights-select"
              checked={selected}
              disabled={busy}
              onChange={() => selectWeights(r.key)}
            />
            <span className="weights-name" data-testid="weights-name">
              {r.name}
            </span>
          </label>
        )}
      </div>
      <div className="weights-meta" data-testid="weights-meta">
        {LAYOUT_TEXT[r.layout]} · width {r.width} · {headText(r)}
      </div>
      <div className="weights-row-foot">
        <div className="weights-meta muted">
          {bytesText(r.storedBytes)} cached · from {r.sourceFile} ({bytesText(r.bytes)}, {r.format}) · {dateText(r.importedAt)}
        </div>
        {!editing && (
          <span className="weights-row-actions">
            <button
              type="button"
              className="small"
              data-testid="weights-rename"
              onClick={() => {
                setDraft(r.name);
                setEditing(true);
              }}
            >
              Rename
            </button>
            <button
              type="button"
              className="small danger"
              data-testid="weights-delete"
              disabled={busy}
              onClick={() => void deleteWeights(r.key)}
              aria-label={`Delete ${r.name}`}
            >
              Delete
            </button>
          </span>
        )}
      </div>
    </li>
  );
}

function StorageInfo() {
  const { requestPersistence } = useControllers().weights;
  const storage = useWeights((s) => s.storage);
  if (!storage)
    return (
      <p className="weights-storage muted" data-testid="weights-storage">
        Storage: checking…
      </p>
    );
  const { usage, quota, persisted } = storage;
  const used =
    usage !== null && quota !== null
      ? `${bytesText(usage)} used of ${bytesText(quota)} available to this page`
      : 'the browser does not report its storage';
  return (
    <div className="weights-storage" data-testid="weights-storage" data-persisted={String(persisted)}>
      <span>
        Storage: {used} ·{' '}
        {persisted === true ? (
          <span className="ok">persistent</span>
        ) : persisted === false ? (
          <span className="warn">not persistent</span>
        ) : (
          'persistence unknown'
        )}
      </span>
      {persisted === false && (
        <button type="button" className="link" data-testid="weights-persist" onClick={() => void requestPersistence()}>
          Keep persistently
        </button>
      )}
      {storage.message && persisted !== true && <small className="muted">{storage.message}</small>}
    </div>
  );
}

export function WeightsPanel() {
  const { refreshWeights, refreshStorage, importWeights, selectWeights } = useControllers().weights;
  const records = useWeights((s) => s.records);
  const listStatus = useWeights((s) => s.listStatus);
  const cacheError = useWeights((s) => s.cacheError);
  const selected = useWeights((s) => s.selected);
  const expectArch = useWeights((s) => s.expectArch);
  const setExpectArch = useWeights((s) => s.setExpectArch);
  const importing = useWeights((s) => s.importing);
  const busy = useWeights(isImporting);
  const [dragging, setDragging] = useState(false);
  const [dropNote, setDropNote] = useState<string | null>(null);

  useEffect(() => {
    void refreshWeights();
    void refreshStorage();
  }, [refreshWeights, refreshStorage]);

  const start = (files: FileList | null) => {
    if (!files || files.length === 0) return;
    setDropNote(files.length > 1 ? `${files.length} files given: importing ${files[0].name} only (one file at a time)` : null);
    importWeights(files[0]);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    if (busy) return;
    start(e.dataTransfer.files);
  };

  return (
    <section className="panel weights" aria-label="Pretrained weights" data-testid="weights-panel">
      <h2>2 · Backbone weights</h2>
      <p className="muted weights-lede">Start from face-pretrained weights, imported once from a PyTorch file and kept in this browser.</p>

      <ul className="weights-list" data-testid="weights-list" data-status={listStatus}>
        <li className={`weights-row${selected ? '' : ' selected'}`}>
          <label className="weights-pick">
            <input
              type="radio"
              name="weights-choice"
              data-testid="weights-random"
              checked={!selected}
              disabled={busy}
              onChange={() => selectWeights(null)}
            />
            <span className="weights-name">Random initialisation</span>
          </label>
        </li>
        {records.map((r) => (
          <WeightsRow key={r.key} r={r} selected={selected?.key === r.key} busy={busy} />
        ))}
      </ul>
      {listStatus === 'ready' && records.length === 0 && (
        <p className="weights-note muted" data-testid="weights-empty">
          No weights cached yet.
        </p>
      )}
      {!selected && (
        <p className="weights-warning" data-testid="weights-random-warning">
          Random init: accuracy will be far lower than with face-pretrained weights, e.g. ~71% vs ~88% at 10% noise.
        </p>
      )}
      {cacheError && (
        <p className="error" data-testid="weights-cache-error">
          {cacheError}
        </p>
      )}

      <div
        className={`weights-drop${dragging ? ' dragging' : ''}${busy ? ' disabled' : ''}`}
        data-testid="weights-drop"
        onDragOver={(e) => {
          e.preventDefault();
          if (!busy) setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        <label htmlFor="weights-file" className="weights-drop-label">
          Import PyTorch weights (.pkl, .pth, .pt, .safetensors)
        </label>
        <input
          id="weights-file"
          data-testid="weights-file"
          type="file"
          accept={ACCEPT}
          disabled={busy}
          onChange={(e: ChangeEvent<HTMLInputElement>) => {
            start(e.target.files);
            // Choosing the same file again must fire `change` again.
            e.target.value = '';
          }}
        />
        <div className="weights-drop-foot">
          <small className="muted">or drop a file here</small>
          <label className="weights-arch">
            <small>Check as</small>
            <select
              data-testid="weights-arch"
              value={expectArch ?? ''}
              disabled={busy}
              onChange={(e: ChangeEvent<HTMLSelectElement>) => setExpectArch((e.target.value || null) as Arch | null)}
            >
              <option value="">any ResNet</option>
              <option value="resnet18">ResNet-18</option>
              <option value="resnet50">ResNet-50</option>
            </select>
          </label>
        </div>
      </div>
      {dropNote && <p className="weights-note muted">{dropNote}</p>}
      {importing && <ImportOutcome imp={importing} />}
      <StorageInfo />
    </section>
  );
}
