// `eac dataset inspect DIR`: reads a RAF-DB basic folder the way training will and reports what
// it found (counts per class, missing and unreadable images, bad label lines, measured noise).
// Also the loader `eac train --data` uses.
import { parseWithPositionals, UsageError } from './args.ts';
import { nodeFolderFsWithin } from './node-folder-fs.ts';
import { emitJson, formatSeconds, progress } from './output.ts';
import { MAX_IMAGE_FILE_BYTES, MAX_LABEL_FILE_BYTES } from '../data/folder.ts';
import { bytesText, countText } from '../engine/format.ts';
import { MAX_JPEG_SIDE } from '../data/jpeg.ts';
import { initJpegDecoderNode } from '../data/jpeg-node.ts';
import { MAX_LABEL_LINES } from '../data/labels.ts';
import { locateRafDb, RafDbError, readRafDb, type RafDbReport } from '../data/rafdb.ts';
import { throttle } from '../engine/progress.ts';
import type { Dataset } from '../engine/dataset.ts';

export { nodeFolderFs } from './node-folder-fs.ts';

export const DATASET_HELP = `eac dataset inspect DIR [--labels FILE_OR_NAME] [--json] [--out FILE]
  DIR: RAF-DB's basic/ folder, the RAF-DB folder above it, or its parent
  --labels: a training label file in EmoLabel/ (e.g. noise01.txt) or a path; its noise is measured
  Reads only regular files inside DIR (links leading out are not followed); skips images over
  ${bytesText(MAX_IMAGE_FILE_BYTES, 'binary')} or ${MAX_JPEG_SIDE}×${MAX_JPEG_SIDE} pixels; refuses label files over ${bytesText(MAX_LABEL_FILE_BYTES, 'binary')} or ${countText(MAX_LABEL_LINES)} lines.`;

/** Reads a RAF-DB folder with progress on stderr; errors become one-line UsageErrors. */
export async function loadRafDbFolder(
  dir: string,
  labels?: string,
  opts: { signal?: AbortSignal; flag?: string } = {},
): Promise<{ dataset: Dataset; report: RafDbReport }> {
  await initJpegDecoderNode();
  const due = throttle(2000);
  try {
    // Confined to the folder: a stranger's symlink to /etc/passwd is not read; a --labels path the
    // user typed is theirs to name.
    const fs = nodeFolderFsWithin(dir, { allow: labels !== undefined && /[/\\]/.test(labels) ? [labels] : [] });
    const r = await readRafDb(fs, dir, {
      labels,
      signal: opts.signal,
      onProgress: (p) => {
        if (!due(p.done === p.total)) return;
        progress(
          `reading RAF-DB: ${countText(p.done)}/${countText(p.total)} images, ${(p.perSecond ?? 0).toFixed(0)} img/s, ETA ${formatSeconds(p.etaSeconds)}`,
        );
      },
    });
    for (const line of summary(r.report)) progress(line);
    return r;
  } catch (e) {
    if (e instanceof RafDbError) throw new UsageError(opts.flag ? `${opts.flag}: ${e.message}` : e.message);
    throw e;
  }
}

/** Finds EmoLabel/ and Image/aligned/ without reading a file: a wrong folder is named before any long work. */
export async function checkRafDbFolder(dir: string, flag: string): Promise<void> {
  try {
    await locateRafDb(nodeFolderFsWithin(dir), dir);
  } catch (e) {
    if (e instanceof RafDbError) throw new UsageError(`${flag}: ${e.message}`);
    throw e;
  }
}

const list = (xs: string[], n = 5) => xs.slice(0, n).join(', ') + (xs.length > n ? `, … (${xs.length - n} more)` : '');

export function summary(r: RafDbReport): string[] {
  const lines = [
    `RAF-DB basic at ${r.root}: ${r.train} train / ${r.test} test images (${r.seconds.toFixed(1)}s)`,
    `  train per class: ${r.classes.map((c, i) => `${c} ${r.trainCounts[i]}`).join(', ')}`,
    `  test per class:  ${r.classes.map((c, i) => `${c} ${r.testCounts[i]}`).join(', ')}`,
  ];
  if (r.noise)
    lines.push(
      `  training labels from ${r.noise.file}: ${r.noise.changed} changed (${(r.noise.rate * 100).toFixed(2)}%)${r.noise.missing ? `, ${r.noise.missing} names without a label there kept the clean one` : ''}`,
    );
  if (r.missingImages.length) lines.push(`  skipped ${r.missingImages.length} names with no image: ${list(r.missingImages)}`);
  if (r.unreadableImages.length)
    lines.push(
      `  skipped ${r.unreadableImages.length} unreadable images: ${list(r.unreadableImages.map((n) => `${n} (${r.unreadableReasons[n]})`))}`,
    );
  if (r.resizedImages.length) lines.push(`  resized ${r.resizedImages.length} images to 100×100: ${list(r.resizedImages)}`);
  if (r.badLines.length)
    lines.push(
      `  skipped ${r.badLines.length} bad label lines: ${list(
        r.badLines.map((b) => `${b.file ?? ''}:${b.line} ${b.reason}`),
        3,
      )}`,
    );
  if (r.unlabelledImages)
    lines.push(
      `  ${r.unlabelledImages} image${r.unlabelledImages === 1 ? '' : 's'} in Image/aligned/ named in no label file (ignored)${r.unlabelledSample?.length ? `: ${r.unlabelledSample.join(', ')}${r.unlabelledImages > r.unlabelledSample.length ? ', …' : ''}` : ''}`,
    );
  return lines;
}

export async function datasetCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(DATASET_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'inspect') throw new UsageError(`unknown dataset command ${JSON.stringify(sub)} (try: eac dataset inspect DIR)`);
  const { values: v, positionals: dirs } = parseWithPositionals(rest, {
    labels: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) {
    process.stdout.write(DATASET_HELP + '\n');
    return 0;
  }
  if (dirs.length !== 1)
    throw new UsageError(
      dirs.length ? `give one folder, got ${dirs.length}: ${dirs.join(' ')}` : 'give the RAF-DB folder: eac dataset inspect DIR',
    );
  const { report } = await loadRafDbFolder(dirs[0], v.labels as string | undefined);
  const out = {
    root: report.root,
    train: report.train,
    test: report.test,
    classes: report.classes,
    trainCounts: report.trainCounts,
    testCounts: report.testCounts,
    missingImages: report.missingImages,
    unreadableImages: report.unreadableImages,
    unreadableReasons: report.unreadableReasons,
    resizedImages: report.resizedImages,
    badLines: report.badLines,
    noise: report.noise,
    unlabelledImages: report.unlabelledImages,
  };
  emitJson(out, { json: !!v.json, out: v.out as string | undefined });
  return 0;
}
