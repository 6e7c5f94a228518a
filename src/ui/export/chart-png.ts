// Charts as PNG: each recharts chart is an SVG, serialised and drawn through an <img> onto a
// canvas with a white background; its title, legend and note (HTML on the page) are painted where
// they stand on the page, so the image looks like the panels, several charts laid out as shown.
// Runs on the page (needs the DOM).

/** Marks a chart's section for export; its value is the chart's title. */
export const CHART_ATTR = 'data-export-chart';

const PAD = 12;

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

interface TextItem {
  box: Box;
  text: string;
  font: string;
  color: string;
}

interface ChartSnapshot {
  box: Box;
  svgBox: Box;
  svgText: string;
  texts: TextItem[];
  swatches: { box: Box; color: string; dashed: boolean }[];
}

function boxOf(el: Element): Box {
  const r = el.getBoundingClientRect();
  return { x: r.left + window.scrollX, y: r.top + window.scrollY, w: r.width, h: r.height };
}

function textItem(el: Element | null): TextItem | null {
  const text = el?.textContent?.trim();
  if (!el || !text) return null;
  const st = getComputedStyle(el);
  const shown = st.textTransform === 'uppercase' ? text.toUpperCase() : text;
  return { box: boxOf(el), text: shown, font: `${st.fontStyle} ${st.fontWeight} ${st.fontSize} ${st.fontFamily}`, color: st.color };
}

function snapshot(section: HTMLElement): ChartSnapshot | null {
  // Legend icons of recharts are svg.recharts-surface too: the plot is the wrapper's own child.
  const svg = section.querySelector<SVGSVGElement>('.recharts-wrapper > svg.recharts-surface');
  if (!svg) return null;
  const svgBox = boxOf(svg);
  if (svgBox.w === 0 || svgBox.h === 0) return null;
  const clone = svg.cloneNode(true) as SVGSVGElement;
  clone.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  clone.setAttribute('width', String(Math.round(svgBox.w)));
  clone.setAttribute('height', String(Math.round(svgBox.h)));
  // Outside the page no stylesheet applies: carry the font the chart was drawn with.
  clone.setAttribute('style', `font-family: ${getComputedStyle(svg).fontFamily}`);
  clone.querySelectorAll('.recharts-tooltip-cursor, .recharts-active-dot, .plot-hover').forEach((n) => n.remove());
  const texts: TextItem[] = [];
  const push = (t: TextItem | null) => t && texts.push(t);
  push(textItem(section.querySelector('h2')));
  section.querySelectorAll('[data-legend-color]').forEach((el) => push(textItem(el)));
  section.querySelectorAll('.chart-note').forEach((el) => push(textItem(el)));
  const swatches = Array.from(section.querySelectorAll<HTMLElement>('.chart-legend .swatch')).map((el) => ({
    box: boxOf(el),
    color: getComputedStyle(el).borderTopColor,
    dashed: el.classList.contains('dashed'),
  }));
  return { box: boxOf(section), svgBox, svgText: new XMLSerializer().serializeToString(clone), texts, swatches };
}

function loadSvg(svgText: string): Promise<HTMLImageElement> {
  const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml;charset=utf-8' }));
  const img = new Image();
  return new Promise<HTMLImageElement>((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the chart could not be drawn as an image'));
    img.src = url;
  }).finally(() => URL.revokeObjectURL(url));
}

/**
 * One PNG of the given chart sections, laid out as on the page, at `scale` × their size on screen.
 * Sections whose chart is not drawn (no data yet) are left out; throws if none is left.
 */
export async function chartsToPng(sections: readonly HTMLElement[], scale = 2): Promise<Blob> {
  const shots = sections.map(snapshot).filter((s): s is ChartSnapshot => s !== null);
  if (shots.length === 0) throw new Error('no chart has data to export yet');
  const images = await Promise.all(shots.map((s) => loadSvg(s.svgText)));
  const left = Math.min(...shots.map((s) => s.box.x)) - PAD;
  const top = Math.min(...shots.map((s) => s.box.y)) - PAD;
  const width = Math.max(...shots.map((s) => s.box.x + s.box.w)) + PAD - left;
  const height = Math.max(...shots.map((s) => s.box.y + s.box.h)) + PAD - top;

  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('this browser cannot draw on a canvas');
  ctx.scale(scale, scale);
  ctx.translate(-left, -top);
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(left, top, width, height);
  shots.forEach((s, i) => {
    ctx.strokeStyle = '#e3e6eb';
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.roundRect(s.box.x + 0.5, s.box.y + 0.5, s.box.w - 1, s.box.h - 1, 10);
    ctx.stroke();
    ctx.textBaseline = 'middle';
    for (const t of s.texts) {
      ctx.font = t.font;
      ctx.fillStyle = t.color;
      ctx.fillText(t.text, t.box.x, t.box.y + t.box.h / 2, s.box.x + s.box.w - t.box.x);
    }
    for (const sw of s.swatches) {
      ctx.strokeStyle = sw.color;
      ctx.lineWidth = sw.dashed ? 2 : 3;
      ctx.setLineDash(sw.dashed ? [4, 3] : []);
      ctx.beginPath();
      ctx.moveTo(sw.box.x, sw.box.y + sw.box.h / 2);
      ctx.lineTo(sw.box.x + sw.box.w, sw.box.y + sw.box.h / 2);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.drawImage(images[i], s.svgBox.x, s.svgBox.y, s.svgBox.w, s.svgBox.h);
  });
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be encoded'))), 'image/png'),
  );
}

/** Every exportable chart on the page, in page order. */
export function chartSections(root: ParentNode = document): HTMLElement[] {
  return Array.from(root.querySelectorAll<HTMLElement>(`[${CHART_ATTR}]`));
}
