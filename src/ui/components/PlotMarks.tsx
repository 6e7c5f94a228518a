// The lab's curves and hover readout, drawn inside a recharts chart from its scales.
//
// Why not recharts' own Line and Tooltip: a recharts chart keeps its state in a Redux store, and
// new data made it re-render every Line, dot and tooltip part synchronously, once in React's commit
// and once more in a requestAnimationFrame callback: 40–90 ms of main thread per chart update on
// the machines measured (docs/main-thread.md). So the lab's charts give recharts only their frame
// (axes, grid, layout and scales, whose data changes when the run does, not every epoch or step)
// and draw the marks themselves as plain SVG, which React renders in its non-blocking slices.
import { useState, type MouseEvent as ReactMouseEvent, type ReactNode } from 'react';
import { usePlotArea, useXAxisScale, useYAxisScale } from 'recharts';
import { linePath, nearestRow, pointOf, valueAt, type Scale } from '../charts/plot-geometry.ts';

type AxisId = string | number;

export interface CurveSpec {
  /** The rows' field drawn. */
  key: string;
  /** Its name in the hover readout. */
  name: string;
  color: string;
  /** Line width (default 2). */
  width?: number;
  dashed?: boolean;
  opacity?: number;
  /** Which of the chart's y axes (an index into `yAxisIds`; default 0). */
  axis?: 0 | 1;
  /** More class names on the path (tests and styles find curves by them). */
  className?: string;
  /** Left out of the hover readout and its dots (e.g. the faint raw curves). */
  noReadout?: boolean;
}

interface MarksProps {
  rows: readonly object[];
  /** The rows' field on the x axis. */
  xKey: string;
  curves: readonly CurveSpec[];
  /** The chart's y axis ids (default: recharts' default axis, 0). */
  yAxisIds?: readonly AxisId[];
}

const DEFAULT_AXES: readonly AxisId[] = [0];

/** The x scale, the y scales of the (at most two) y axes, and the plot area; undefined until recharts has laid the chart out. */
function usePlotScales(yAxisIds: readonly AxisId[]) {
  const x = useXAxisScale();
  const y0 = useYAxisScale(yAxisIds[0]);
  // Hooks are called the same number of times on every render: the second axis repeats the first when there is none.
  const y1 = useYAxisScale(yAxisIds[1] ?? yAxisIds[0]);
  const area = usePlotArea();
  if (!x || !y0 || !area) return null;
  const ys: (Scale | undefined)[] = [y0, yAxisIds.length > 1 ? y1 : undefined];
  return { x: x as Scale, ys, area };
}

/** Each curve as a path; with `dots`, a dot at every point too (for short series, where a line of one point would not show). */
export function Curves({
  rows,
  xKey,
  curves,
  yAxisIds = DEFAULT_AXES,
  dots = false,
  className,
}: MarksProps & { dots?: boolean; className?: string }) {
  const s = usePlotScales(yAxisIds);
  if (!s) return null;
  const { x, ys, area } = s;
  const top = area.y;
  const bottom = area.y + area.height;
  return (
    <g className={className}>
      {curves.map((c) => {
        const y = ys[c.axis ?? 0];
        if (!y) return null;
        return (
          <g key={c.key} className="plot-series" data-series={c.key}>
            <path
              className={`plot-curve${c.className ? ` ${c.className}` : ''}`}
              d={linePath(rows, xKey, c.key, x, y, top, bottom)}
              fill="none"
              stroke={c.color}
              strokeWidth={c.width ?? 2}
              strokeOpacity={c.opacity}
              strokeDasharray={c.dashed ? '5 4' : undefined}
              strokeLinejoin="round"
            />
            {dots &&
              rows.map((r) => {
                const p = pointOf(r, xKey, c.key, x, y);
                return p && <circle key={valueAt(r, xKey)} className="plot-dot" cx={p[0]} cy={p[1]} r={3} fill={c.color} />;
              })}
          </g>
        );
      })}
    </g>
  );
}

/**
 * The hover readout: a transparent layer over the plot area finds the row drawn nearest the pointer
 * and shows a guide line, a dot on each curve and `children(row)` in a box beside it. Only this layer
 * re-renders as the pointer moves.
 */
export function HoverReadout({
  rows,
  xKey,
  curves,
  yAxisIds = DEFAULT_AXES,
  size,
  testId,
  children,
}: MarksProps & { size: [number, number]; testId?: string; children: (row: object) => ReactNode }) {
  const s = usePlotScales(yAxisIds);
  const [px, setPx] = useState<number | null>(null);
  if (!s) return null;
  const { x, ys, area } = s;
  const i = px === null ? -1 : nearestRow(rows, xKey, px, x);
  const row = i >= 0 ? rows[i] : null;
  const xv = row ? valueAt(row, xKey) : null;
  const rx = xv === null ? undefined : x(xv);
  const [w, h] = size;
  const onMove = (e: ReactMouseEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    setPx(area.x + (e.clientX - box.left) * (area.width / Math.max(1, box.width)));
  };
  return (
    <g className="plot-hover">
      {row && rx !== undefined && Number.isFinite(rx) && (
        <>
          <line x1={rx} x2={rx} y1={area.y} y2={area.y + area.height} stroke="#9ca3af" />
          {curves.map((c) => {
            const y = ys[c.axis ?? 0];
            const p = c.noReadout || !y ? null : pointOf(row, xKey, c.key, x, y);
            return p && <circle key={c.key} cx={p[0]} cy={p[1]} r={3.5} fill={c.color} stroke="#fff" strokeWidth={1.5} />;
          })}
          {/* Beside the guide line, on the side with room. */}
          <foreignObject
            x={rx + 12 + w > area.x + area.width ? Math.max(area.x, rx - 12 - w) : rx + 12}
            y={area.y + 4}
            width={w}
            height={h}
            pointerEvents="none"
          >
            {children(row)}
          </foreignObject>
        </>
      )}
      <rect
        x={area.x}
        y={area.y}
        width={area.width}
        height={area.height}
        fill="transparent"
        onMouseMove={onMove}
        onMouseLeave={() => setPx(null)}
        data-testid={testId}
      />
    </g>
  );
}

/** The readout of a per-epoch chart: the epoch, then each curve's value. */
export function EpochReadout({ row, curves, format }: { row: object; curves: readonly CurveSpec[]; format: (v: number | null) => string }) {
  return (
    <div className="chart-tooltip plot-readout" data-testid="plot-readout">
      <div>epoch {String(valueAt(row, 'epoch') ?? '–')}</div>
      {curves.map((c) =>
        c.noReadout ? null : (
          <div key={c.key} style={{ color: c.color }}>
            {c.name}: <strong>{format(valueAt(row, c.key))}</strong>
          </div>
        ),
      )}
    </div>
  );
}
