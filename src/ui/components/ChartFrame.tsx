// The frame every chart of the lab shares: a titled panel with its own legend (HTML, so the PNG
// export can paint it), optional controls, a one-line note, a PNG button, and a chart box of fixed
// height, so that charts filling up never move the rest of the page.
import { useRun } from '../current-run-store.ts';
import { useRef, useState, type ReactNode } from 'react';
import { CHART_ATTR, chartsToPng } from '../export/chart-png.ts';
import { downloadBlob } from '../export/download.ts';
import { exportFileStem } from '../export/run-export.ts';
import '../charts.css';

export interface LegendItem {
  label: string;
  color: string;
  /** Drawn as a dashed swatch (e.g. a planned, not yet measured, series). */
  dashed?: boolean;
}

interface ChartFrameProps {
  title: string;
  /** data-testid of the chart box (which holds the recharts SVG). */
  testId: string;
  /** The chart box's height in px. */
  height: number;
  legend?: LegendItem[];
  controls?: ReactNode;
  /** One line under the legend; pass null to keep the (empty) line so the chart does not move when a note appears. */
  note?: ReactNode;
  /**
   * Shown over the (empty) chart while there is nothing to draw. The chart stays mounted under it:
   * mounting a recharts chart costs far more main-thread time than giving it new data, and that
   * cost belongs at page load, not in the middle of a run.
   */
  placeholder?: string | null;
  /** Extra data-* attributes on the chart box (counts the tests read). */
  data?: Record<string, string | number>;
  className?: string;
  children: ReactNode;
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'chart'
  );
}

export function ChartFrame(props: ChartFrameProps) {
  const sectionRef = useRef<HTMLElement>(null);
  const [exportError, setExportError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const boxData: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(props.data ?? {})) boxData[`data-${k}`] = v;

  const savePng = async () => {
    const section = sectionRef.current;
    if (!section) return;
    setBusy(true);
    setExportError(null);
    try {
      const blob = await chartsToPng([section]);
      const { run } = useRun.getState();
      downloadBlob(blob, `${exportFileStem(run, new Date())}-${slug(props.title)}.png`);
    } catch (e) {
      setExportError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section
      ref={sectionRef}
      className={`panel chart ${props.className ?? ''}`}
      aria-label={props.title}
      {...{ [CHART_ATTR]: props.title }}
    >
      <div className="chart-head">
        <h2>{props.title}</h2>
        <div className="chart-tools">
          {props.controls}
          <button
            type="button"
            className="chart-png"
            onClick={savePng}
            disabled={busy || !!props.placeholder}
            title="Save this chart as a PNG image"
          >
            PNG
          </button>
        </div>
      </div>
      {props.legend && props.legend.length > 0 && (
        <ul className="chart-legend">
          {props.legend.map((l) => (
            <li key={l.label}>
              <span className={`swatch${l.dashed ? ' dashed' : ''}`} style={{ borderColor: l.color }} aria-hidden="true" />
              <span data-legend-color={l.color}>{l.label}</span>
            </li>
          ))}
        </ul>
      )}
      {props.note !== undefined && <p className="chart-note muted">{props.note ?? '\u00a0'}</p>}
      <div className="chart-box" style={{ height: props.height }} data-testid={props.testId} {...boxData}>
        {props.children}
        {props.placeholder ? <p className="placeholder muted">{props.placeholder}</p> : null}
      </div>
      {exportError && (
        <p className="error" role="alert">
          PNG export failed: {exportError}
        </p>
      )}
    </section>
  );
}
