// A run's stored attention history (the attention panel's frames, kept beside its checkpoint) read
// back as untrusted: every size the panel draws by and every array it indexes is checked first, so
// a damaged or edited record is a one-line reason naming the field, never a wrong-sized canvas, an
// out-of-range read or a multi-gigabyte allocation. Pure: no DOM, no Node.
import type { AttentionFrame, AttentionMaps, AttentionSample, AttentionViews } from './attention.ts';
import type { Box } from './augment.ts';
import { CONFIG_LIMITS } from './limits.ts';
import { classesProblem, MAX_CLASSES } from './dataset.ts';
import { arr, fail, int, num, obj, str } from './sweep/validate.ts';

/** Samples the panel follows (the lab picks 8 to 32). */
const SAMPLES_MAX = 256;
/** Frames: one before training and one per epoch. */
const FRAMES_MAX = CONFIG_LIMITS.epochs[1] + 1;
/** Cells of one map: a 2048 px input has 64 × 64. */
const CELLS_MAX = 64 * 64;

function bytes(v: unknown, where: string, n: number): Uint8Array {
  if (!(v instanceof Uint8Array)) fail(where, 'expected a Uint8Array');
  if (v.length !== n) fail(where, `${v.length} bytes, expected ${n}`);
  return v;
}

function floats(v: unknown, where: string, n: number): Float32Array {
  if (!(v instanceof Float32Array)) fail(where, 'expected a Float32Array');
  if (v.length !== n) fail(where, `${v.length} values, expected ${n}`);
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) fail(where, `holds a non-finite value at index ${i}`);
  return v;
}

function box(v: unknown, where: string, size: number): Box | null {
  if (v === null) return null;
  const o = obj(v, where, { required: ['top', 'left', 'h', 'w'] });
  const b = {
    top: int(o.top, `${where}.top`, 0, size),
    left: int(o.left, `${where}.left`, 0, size),
    h: int(o.h, `${where}.h`, 0, size),
    w: int(o.w, `${where}.w`, 0, size),
  };
  if (b.top + b.h > size || b.left + b.w > size) fail(where, `reaches past the ${size}-pixel view`);
  return b;
}

export function readAttentionHistory(v: unknown, where = 'attention history'): { views: AttentionViews; frames: AttentionFrame[] } {
  const o = obj(v, where, { required: ['views', 'frames'] });
  const vo = obj(o.views, `${where}.views`, {
    required: ['size', 'mapHeight', 'mapWidth', 'numClasses', 'samples'],
    optional: ['classes'],
  });
  const size = int(vo.size, `${where}.views.size`, ...CONFIG_LIMITS.size);
  const mapHeight = int(vo.mapHeight, `${where}.views.mapHeight`, 1, 64);
  const mapWidth = int(vo.mapWidth, `${where}.views.mapWidth`, 1, 64);
  const numClasses = int(vo.numClasses, `${where}.views.numClasses`, 2, MAX_CLASSES);
  if (mapHeight * mapWidth > CELLS_MAX) fail(`${where}.views`, `${mapHeight}×${mapWidth} cells, at most ${CELLS_MAX}`);
  let classes: string[] | undefined;
  if (vo.classes !== undefined) {
    const why = classesProblem(vo.classes);
    if (why) fail(`${where}.views.classes`, why);
    classes = vo.classes as string[];
    if (classes.length !== numClasses) fail(`${where}.views.classes`, `${classes.length} names for ${numClasses} classes`);
  }
  const label = (x: unknown, w: string) => int(x, w, 0, numClasses - 1);
  const samples: AttentionSample[] = arr(vo.samples, `${where}.views.samples`, SAMPLES_MAX).map((s, i) => {
    const at = `${where}.views.samples[${i}]`;
    const so = obj(s, at, { required: ['index', 'name', 'label', 'cleanLabel', 'view1', 'view2', 'box1', 'box2'] });
    return {
      index: int(so.index, `${at}.index`),
      name: str(so.name, `${at}.name`, 1000),
      label: label(so.label, `${at}.label`),
      cleanLabel: label(so.cleanLabel, `${at}.cleanLabel`),
      view1: bytes(so.view1, `${at}.view1`, size * size * 3),
      view2: bytes(so.view2, `${at}.view2`, size * size * 3),
      box1: box(so.box1, `${at}.box1`, size),
      box2: box(so.box2, `${at}.box2`, size),
    };
  });
  const cells = mapHeight * mapWidth * numClasses;
  const frames: AttentionFrame[] = arr(o.frames, `${where}.frames`, FRAMES_MAX).map((f, i) => {
    const at = `${where}.frames[${i}]`;
    const fo = obj(f, at, { required: ['epoch', 'samples'] });
    const maps = arr(fo.samples, `${at}.samples`, samples.length);
    if (maps.length !== samples.length) fail(`${at}.samples`, `${maps.length} samples, the views have ${samples.length}`);
    return {
      epoch: int(fo.epoch, `${at}.epoch`, 0, CONFIG_LIMITS.epochs[1]),
      samples: maps.map((m, j): AttentionMaps => {
        const mat = `${at}.samples[${j}]`;
        const mo = obj(m, mat, { required: ['index', 'pred', 'probs', 'hm1', 'hm2', 'consistency'] });
        return {
          index: int(mo.index, `${mat}.index`),
          pred: label(mo.pred, `${mat}.pred`),
          probs: floats(mo.probs, `${mat}.probs`, numClasses),
          hm1: floats(mo.hm1, `${mat}.hm1`, cells),
          hm2: floats(mo.hm2, `${mat}.hm2`, cells),
          consistency: num(mo.consistency, `${mat}.consistency`, (x) => x >= 0, 'a finite number ≥ 0'),
        };
      }),
    };
  });
  return { views: { size, mapHeight, mapWidth, numClasses, ...(classes ? { classes } : {}), samples }, frames };
}
