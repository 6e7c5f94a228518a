// The attention panel: for each fixed sample, the two views EAC compares and the attention maps
// of both (view 2's mirrored back into view 1's frame), for the training label's class or the
// predicted class, with the per-sample consistency error; an epoch slider scrubs back through the
// maps kept per epoch.
import { memo, useEffect, useMemo, useRef, useState, type ChangeEvent } from 'react';
import { useRunDeferred } from '../current-run-store.ts';
import { classesOf } from '../../engine/dataset.ts';
import type { AttentionMaps, AttentionSample, AttentionViews } from '../../engine/attention.ts';
import type { Box } from '../../engine/augment.ts';
import { classMap } from '../../engine/maps.ts';
import { mapToRgba, rgbToRgba, sharedRange, viridis } from '../attention/colormap.ts';
import { downloadBlob } from '../export/download.ts';
import { TurnQueue } from '../turn-queue.ts';
import '../attention/attention.css';
import { coarseMapsWarning } from '../../engine/coarse-maps.ts';

const TILE = 96;
/** Canvas painting in turns of up to 6 ms, each its own task. */
const paints = new TurnQueue({ gapMs: 0, budgetMs: 6 });
type MapClass = 'label' | 'pred';

/** Draws an RGB image, optionally an erased box outline, and optionally a colour-mapped overlay. */
function Tile({
  rgb,
  size,
  box,
  overlay,
  mapSize,
  label,
  testId,
}: {
  rgb: Uint8Array;
  size: number;
  box?: Box | null;
  overlay?: Uint8ClampedArray | null;
  mapSize?: [number, number];
  label: string;
  testId?: string;
}) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const paint = () => {
      const canvas = ref.current;
      const ctx = canvas?.getContext('2d');
      if (!canvas || !ctx) return;
      const img = new OffscreenCanvas(size, size);
      img.getContext('2d')!.putImageData(new ImageData(rgbToRgba(rgb), size, size), 0, 0);
      ctx.imageSmoothingEnabled = true;
      ctx.clearRect(0, 0, TILE, TILE);
      ctx.drawImage(img, 0, 0, TILE, TILE);
      if (overlay && mapSize) {
        const [h, w] = mapSize;
        const m = new OffscreenCanvas(w, h);
        m.getContext('2d')!.putImageData(new ImageData(new Uint8ClampedArray(overlay), w, h), 0, 0);
        // Upsampled bilinearly, as CAM figures are.
        ctx.drawImage(m, 0, 0, TILE, TILE);
      }
      if (box) {
        const s = TILE / size;
        ctx.strokeStyle = '#f43f5e';
        ctx.lineWidth = 2;
        ctx.setLineDash([4, 3]);
        ctx.strokeRect(box.left * s + 1, box.top * s + 1, box.w * s - 2, box.h * s - 2);
      }
    };
    // A new epoch repaints 16 tiles: painted a few per task (see paints), not all in React's commit.
    paints.enqueue(paint);
    return () => paints.remove(paint);
  }, [rgb, size, box, overlay, mapSize]);
  return (
    <figure className="att-tile">
      <canvas ref={ref} width={TILE} height={TILE} data-testid={testId} aria-label={label} />
      <figcaption>{label}</figcaption>
    </figure>
  );
}

// Memo'd: a new epoch's frame repaints only the cards whose maps changed.
const SampleCard = memo(function SampleCard({
  sample,
  maps,
  views,
  mapClass,
}: {
  sample: AttentionSample;
  maps: AttentionMaps | null;
  views: AttentionViews;
  mapClass: MapClass;
}) {
  const { size, mapHeight, mapWidth, numClasses } = views;
  const flipped = sample.label !== sample.cleanLabel;
  const names = classesOf(views);
  const cls = maps ? (mapClass === 'label' ? sample.label : maps.pred) : sample.label;
  const overlays = useMemo(() => {
    if (!maps) return null;
    const cells = mapHeight * mapWidth;
    const a = classMap(maps.hm1, cells, numClasses, cls);
    const b = classMap(maps.hm2, cells, numClasses, cls);
    const range = sharedRange(a, b);
    return { a: mapToRgba(a, range, 150), b: mapToRgba(b, range, 150) };
  }, [maps, cls, mapHeight, mapWidth, numClasses]);
  const predOk = maps ? maps.pred === sample.cleanLabel : null;
  return (
    <div className={`att-card${flipped ? ' att-flipped' : ''}`} data-testid="attention-sample">
      <div className="att-head">
        <span className="att-name">{sample.name}</span>
        {flipped ? (
          <span className="att-badge noisy" title="the training label was flipped by the label noise">
            label {names[sample.label]} · true {names[sample.cleanLabel]}
          </span>
        ) : (
          <span className="att-badge clean">label {names[sample.label]}</span>
        )}
      </div>
      <div className="att-tiles">
        <Tile rgb={sample.view1} size={size} box={sample.box1} label="view 1 (erased box)" testId="attention-view1" />
        <Tile rgb={sample.view2} size={size} box={sample.box2} label="view 2 (flipped)" />
        <Tile
          rgb={sample.view1}
          size={size}
          overlay={overlays?.a}
          mapSize={[mapHeight, mapWidth]}
          label="map of view 1"
          testId="attention-map1"
        />
        <Tile rgb={sample.view1} size={size} overlay={overlays?.b} mapSize={[mapHeight, mapWidth]} label="map of view 2, flipped back" />
      </div>
      <div className="att-foot">
        {maps ? (
          <>
            <span>
              predicted <b className={predOk ? 'ok' : 'bad'}>{names[maps.pred]}</b> ({(maps.probs[maps.pred] * 100).toFixed(0)}%)
              {flipped && maps.pred === sample.label ? <span className="att-memo"> memorised the noisy label</span> : null}
            </span>
            <span title="mean squared difference of the two maps over all cells and classes">
              consistency error {maps.consistency.toExponential(2)}
            </span>
          </>
        ) : (
          <span className="muted">maps appear after the first measurement</span>
        )}
      </div>
    </div>
  );
});

function Legend() {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    for (let x = 0; x < 160; x++) {
      const [r, g, b] = viridis(x / 159);
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, 0, 1, 10);
    }
  }, []);
  return (
    <div className="att-legend">
      <span>low</span>
      <canvas ref={ref} width={160} height={10} aria-label="colour scale: viridis, low to high attention" />
      <span>high</span>
      <span className="muted">per sample, one scale for both maps</span>
    </div>
  );
}

/** The panel as one PNG: every sample's four tiles as shown, with its name, labels and numbers. */
async function exportPng(root: HTMLElement, title: string): Promise<void> {
  const cards = [...root.querySelectorAll<HTMLElement>('[data-testid="attention-sample"]')];
  const pad = 12;
  const rowH = TILE + 44;
  const width = pad * 2 + 4 * (TILE + 8);
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = pad * 2 + 24 + cards.length * rowH;
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = '#111827';
  ctx.font = '600 14px system-ui, sans-serif';
  ctx.fillText(title, pad, pad + 14);
  cards.forEach((card, i) => {
    const y = pad + 24 + i * rowH;
    ctx.font = '12px system-ui, sans-serif';
    ctx.fillStyle = '#111827';
    ctx.fillText(card.querySelector('.att-head')?.textContent ?? '', pad, y + 12);
    card.querySelectorAll('canvas').forEach((c, j) => ctx.drawImage(c, pad + j * (TILE + 8), y + 18, TILE, TILE));
    ctx.fillStyle = '#374151';
    ctx.fillText(card.querySelector('.att-foot')?.textContent ?? '', pad, y + 18 + TILE + 16);
  });
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (blob) downloadBlob(blob, 'eac-attention.png');
}

export function AttentionPanel() {
  const attention = useRunDeferred((s) => s.run.attention);
  const panelRef = useRef<HTMLElement>(null);
  const [mapClass, setMapClass] = useState<MapClass>('label');
  const [chosen, setChosen] = useState<number | null>(null);
  const { views, frames } = attention;
  if (!views) {
    return (
      <section className="panel attention" aria-label="Attention panel">
        <h2>Attention</h2>
        <p className="muted">
          When a run starts, this panel shows, for a fixed set of training images (half with flipped labels), the two views EAC compares and
          their attention maps, after every epoch.
        </p>
      </section>
    );
  }
  const epochs = frames.map((f) => f.epoch);
  // Follow the newest frame unless the user scrubbed back.
  const epoch = chosen !== null && epochs.includes(chosen) ? chosen : (epochs[epochs.length - 1] ?? null);
  const frame = frames.find((f) => f.epoch === epoch) ?? null;
  const coarse = coarseMapsWarning(views.mapHeight, views.mapWidth);
  const mean = frame ? frame.samples.reduce((s, m) => s + m.consistency, 0) / frame.samples.length : null;
  return (
    <section className="panel attention" aria-label="Attention panel" data-testid="attention-panel" ref={panelRef}>
      <div className="att-top">
        <h2>Attention</h2>
        <label>
          maps for{' '}
          <select
            value={mapClass}
            onChange={(e: ChangeEvent<HTMLSelectElement>) => setMapClass(e.target.value as MapClass)}
            data-testid="attention-class"
          >
            <option value="label">the training label’s class</option>
            <option value="pred">the predicted class</option>
          </select>
        </label>
        {epochs.length > 0 ? (
          <label className="att-scrub">
            {epoch === 0 ? 'before training' : `after epoch ${epoch}`}
            <input
              type="range"
              min={0}
              max={epochs.length - 1}
              step={1}
              value={Math.max(0, epochs.indexOf(epoch ?? 0))}
              onChange={(e: ChangeEvent<HTMLInputElement>) => {
                const i = Number(e.target.value);
                setChosen(i === epochs.length - 1 ? null : epochs[i]);
              }}
              data-testid="attention-epoch"
              aria-label="epoch of the attention maps"
            />
          </label>
        ) : null}
        {mean !== null ? <span className="muted">mean consistency error {mean.toExponential(2)}</span> : null}
        <button
          type="button"
          className="att-png"
          onClick={() =>
            panelRef.current &&
            void exportPng(
              panelRef.current,
              `EAC attention, ${epoch === 0 ? 'before training' : `after epoch ${epoch}`} (maps for ${mapClass === 'label' ? 'the training label' : 'the predicted class'})`,
            ).catch((e: unknown) => console.warn('[eac] could not draw the attention PNG', e))
          }
          data-testid="attention-png"
        >
          PNG
        </button>
      </div>
      <Legend />
      {coarse ? (
        <p className="att-coarse" role="note" data-testid="attention-coarse">
          {coarse}
        </p>
      ) : null}
      <div className="att-grid">
        {views.samples.map((s) => (
          <SampleCard
            key={s.index}
            sample={s}
            views={views}
            mapClass={mapClass}
            maps={frame?.samples.find((m) => m.index === s.index) ?? null}
          />
        ))}
      </div>
    </section>
  );
}
