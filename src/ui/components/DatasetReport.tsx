// What reading a RAF-DB folder found: train/test counts per class, and every skipped item grouped
// by reason (missing, unreadable with why, bad label lines, resized, unlabelled), the long lists
// folded away.
import type { ReactNode } from 'react';
import type { CachedDatasetInfo } from '../../storage/dataset-cache.ts';
import { unlabelledText } from './unlabelled-text.ts';
import { countText } from '../../engine/format.ts';

const LIST_LIMIT = 200;

function Group({ testId, title, count, children }: { testId: string; title: string; count: number; children?: ReactNode }) {
  if (count === 0) return null;
  return (
    <details className="skip-group" data-testid={testId} data-count={count}>
      <summary>
        {title}: <strong>{countText(count)}</strong>
      </summary>
      {children}
    </details>
  );
}

function Items({ items, render }: { items: string[]; render?: (s: string) => ReactNode }) {
  return (
    <ul className="skip-list">
      {items.slice(0, LIST_LIMIT).map((s) => (
        <li key={s}>{render ? render(s) : s}</li>
      ))}
      {items.length > LIST_LIMIT && <li className="muted">… and {countText(items.length - LIST_LIMIT)} more</li>}
    </ul>
  );
}

export function DatasetReport({ info }: { info: CachedDatasetInfo }) {
  const r = info.report;
  const skipped = r.missingImages.length + r.unreadableImages.length;
  // Another format's reader's notes (a stored report is checked loosely: strings only, a few).
  const notes = Array.isArray(r.notes) ? r.notes.filter((n): n is string => typeof n === 'string').slice(0, 8) : [];
  return (
    <div className="dataset-report" data-testid="dataset-report" data-key={info.key}>
      <table className="class-counts">
        <thead>
          <tr>
            <th>Class</th>
            <th>train</th>
            <th>test</th>
          </tr>
        </thead>
        <tbody>
          {r.classes.map((c, i) => (
            <tr key={c}>
              <td>{c}</td>
              <td data-testid={`count-train-${c}`}>{countText(r.trainCounts[i])}</td>
              <td data-testid={`count-test-${c}`}>{countText(r.testCounts[i])}</td>
            </tr>
          ))}
          <tr className="total">
            <td>All</td>
            <td data-testid="report-train">{countText(r.train)}</td>
            <td data-testid="report-test">{countText(r.test)}</td>
          </tr>
        </tbody>
      </table>
      <p className="skip-summary" data-testid="skip-summary">
        {skipped === 0 && r.badLines.length === 0
          ? 'Nothing skipped.'
          : `Skipped: ${countText(skipped)} images, ${countText(r.badLines.length)} label lines.`}
        {r.resizedImages.length > 0 && ` Resized to ${info.width}×${info.height}: ${countText(r.resizedImages.length)}.`}
      </p>
      {notes.length > 0 && (
        <ul className="skip-list report-notes" data-testid="report-notes">
          {notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
      <Group testId="skip-missing" title="No image for the name" count={r.missingImages.length}>
        <Items items={r.missingImages} />
      </Group>
      <Group testId="skip-unreadable" title="Unreadable images" count={r.unreadableImages.length}>
        <Items
          items={r.unreadableImages}
          render={(n) => (
            <>
              {n}: <span className="reason-text">{r.unreadableReasons[n]}</span>
            </>
          )}
        />
      </Group>
      <Group testId="skip-badlines" title="Bad label lines" count={r.badLines.length}>
        <ul className="skip-list">
          {r.badLines.slice(0, LIST_LIMIT).map((b) => (
            <li key={`${b.file ?? ''}:${b.line}`}>
              {b.file ?? info.cleanLabelFile}:{b.line} <code>{b.text || '(empty)'}</code>: <span className="reason-text">{b.reason}</span>
            </li>
          ))}
          {r.badLines.length > LIST_LIMIT && <li className="muted">… and {countText(r.badLines.length - LIST_LIMIT)} more</li>}
        </ul>
      </Group>
      <Group testId="skip-resized" title={`Resized to ${info.width}×${info.height} (kept)`} count={r.resizedImages.length}>
        <Items items={r.resizedImages} />
      </Group>
      {r.unlabelledImages > 0 && (
        <p className="muted small" data-testid="unlabelled">
          {unlabelledText(r.unlabelledImages, r.unlabelledSample)}
        </p>
      )}
    </div>
  );
}
