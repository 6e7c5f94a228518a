// A cached dataset's description and index read back from IndexedDB as untrusted (issue 24): every
// number the loader sizes a buffer or a loop by is checked first, so a damaged or edited record is a
// one-line reason naming the field, never an `Invalid typed array length` or a multi-gigabyte
// allocation. No DOM.
import { classesProblem } from '../../engine/dataset.ts';

/** Images of one cached dataset (RAF-DB basic has 15,339). */
const CACHED_IMAGES_MAX = 1_000_000;
/** Side of a cached image (the ingest resizes to the input size, at most the flags' 2048). */
const CACHED_SIDE_MAX = 2048;
/** Pixel bytes of one split: what one typed array can hold in every browser. */
export const CACHED_SPLIT_BYTES_MAX = 2 ** 31 - 1;

const intIn = (v: unknown, lo: number, hi: number) => Number.isSafeInteger(v) && (v as number) >= lo && (v as number) <= hi;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a stored dataset description cannot be loaded from (null: it can). */
export function datasetInfoProblem(m: unknown): string | null {
  if (!isObj(m)) return 'not an object';
  for (const k of ['key', 'name', 'datasetName', 'source', 'cleanLabelFile'])
    if (typeof m[k] !== 'string' || (m[k] as string).length > 4096) return `${k} is not a string`;
  if (typeof m.createdAt !== 'number' || !Number.isFinite(m.createdAt)) return 'createdAt is not a number';
  if (!intIn(m.bytes, 0, Number.MAX_SAFE_INTEGER)) return 'bytes is not a count';
  for (const k of ['train', 'test']) if (!intIn(m[k], 0, CACHED_IMAGES_MAX)) return `${k} is not an integer in [0, ${CACHED_IMAGES_MAX}]`;
  for (const k of ['height', 'width']) if (!intIn(m[k], 1, CACHED_SIDE_MAX)) return `${k} is not an integer in [1, ${CACHED_SIDE_MAX}]`;
  if (!intIn(m.chunkImages, 1, CACHED_IMAGES_MAX)) return `chunkImages is not an integer in [1, ${CACHED_IMAGES_MAX}]`;
  const per = (m.height as number) * (m.width as number) * 3;
  const chunks = m.chunks;
  if (!isObj(chunks)) return 'chunks is not an object';
  for (const split of ['train', 'test'] as const) {
    const n = m[split] as number;
    if (n * per > CACHED_SPLIT_BYTES_MAX) return `its ${split} split would need ${n * per} bytes, more than ${CACHED_SPLIT_BYTES_MAX}`;
    const want = Math.ceil(n / (m.chunkImages as number));
    if (chunks[split] !== want) return `chunks.${split} is ${String(chunks[split]).slice(0, 20)}, its ${n} images need ${want}`;
  }
  if (m.pixelFile !== undefined && (typeof m.pixelFile !== 'string' || !/^[A-Za-z0-9._-]{1,200}$/.test(m.pixelFile)))
    return 'pixelFile is not a file name';
  if (!Array.isArray(m.labelFiles) || m.labelFiles.length > 1000) return 'labelFiles is not a list';
  if (m.classes !== undefined) {
    const why = classesProblem(m.classes);
    if (why) return `classes: ${why}`;
  }
  return null;
}

/** Why a stored index does not fit its description (null: it does). */
export function datasetIndexProblem(index: unknown, meta: { train: number; test: number; numClasses: number }): string | null {
  if (!isObj(index)) return 'its index is not an object';
  for (const [split, n] of [
    ['train', meta.train],
    ['test', meta.test],
  ] as const) {
    const names = index[`${split}Names`];
    const labels = index[`${split}Clean`];
    if (!Array.isArray(names) || names.length !== n || !names.every((x) => typeof x === 'string'))
      return `its ${split} names are not ${n} names`;
    if (!(labels instanceof Int32Array) || labels.length !== n) return `its ${split} labels are not ${n} labels`;
    for (let i = 0; i < labels.length; i++)
      if (!(labels[i] >= 0 && labels[i] < meta.numClasses))
        return `its ${split} label ${i} is ${labels[i]}, not a class in [0, ${meta.numClasses - 1}]`;
  }
  const texts = index.labelTexts;
  if (!isObj(texts) || !Object.values(texts).every((t) => typeof t === 'string')) return 'its label texts are not texts';
  return null;
}
