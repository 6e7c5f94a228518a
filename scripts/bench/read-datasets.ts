// Reading times of the dataset readers through the CLI's path (detect + read, Node, one thread):
// a CIFAR-100-sized binary set (60,000 images), a Tiny-ImageNet-sized folder (110,000 64×64 JPEGs)
// and a FERPlus-sized CSV pair (35,887 rows), each generated once under .tmp/ (not committed).
//
//   nice node --import tsx scripts/bench/read-datasets.ts [--tiny-images N] [--only cifar100,tiny,ferplus]
//
// --tiny-images N: train images per class × 200 + val images (default 110,000: 500 + 50 a class).
// The machine's load average is printed: on a shared machine the times are upper bounds.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadDataFolder } from '../../src/cli/dataset.ts';
import { ferPlusRows, jpegOf } from '../../tests/fixtures/dataset-fixtures.ts';

const { values: v } = parseArgs({
  options: { 'tiny-images': { type: 'string' }, only: { type: 'string' } },
});
const only = new Set((v.only ?? 'cifar100,tiny,ferplus').split(','));
const TMP = path.resolve('.tmp/bench-datasets');

function cifar100(dir: string): void {
  if (existsSync(path.join(dir, 'test.bin'))) return;
  mkdirSync(dir, { recursive: true });
  const rec = 2 + 3072;
  for (const [file, n] of [
    ['train.bin', 50_000],
    ['test.bin', 10_000],
  ] as const) {
    const b = new Uint8Array(n * rec);
    for (let i = 0; i < n; i++) {
      b[i * rec] = (i % 100) % 20;
      b[i * rec + 1] = i % 100;
      for (let p = 0; p < 3072; p++) b[i * rec + 2 + p] = (i * 7 + p) & 255;
    }
    writeFileSync(path.join(dir, file), b);
  }
  writeFileSync(path.join(dir, 'fine_label_names.txt'), Array.from({ length: 100 }, (_, i) => `class_${i}`).join('\n'));
}

/** 200 classes; `perClass` train and perClass/10 val images each; 64 distinct JPEG files' bytes reused. */
async function tiny(dir: string, perClass: number): Promise<void> {
  const val = Math.max(1, Math.round(perClass / 10));
  const marker = path.join(dir, `.complete-${perClass}`);
  if (existsSync(marker)) return;
  const jpegs = await Promise.all(Array.from({ length: 64 }, (_, i) => jpegOf(64, 64, i)));
  const wnids = Array.from({ length: 200 }, (_, i) => `n${String(1000000 + i).padStart(8, '0')}`);
  mkdirSync(path.join(dir, 'val/images'), { recursive: true });
  writeFileSync(path.join(dir, 'wnids.txt'), wnids.join('\n') + '\n');
  writeFileSync(path.join(dir, 'words.txt'), wnids.map((w, i) => `${w}\tthing ${i}, other name`).join('\n') + '\n');
  const ann: string[] = [];
  let k = 0;
  for (const [c, w] of wnids.entries()) {
    const d = path.join(dir, 'train', w, 'images');
    mkdirSync(d, { recursive: true });
    for (let i = 0; i < perClass; i++) writeFileSync(path.join(d, `${w}_${i}.JPEG`), jpegs[(c + i) % 64]);
    for (let i = 0; i < val; i++) {
      const name = `val_${k++}.JPEG`;
      writeFileSync(path.join(dir, 'val/images', name), jpegs[(c * 3 + i) % 64]);
      ann.push(`${name}\t${w}\t0\t0\t63\t63`);
    }
  }
  writeFileSync(path.join(dir, 'val/val_annotations.txt'), ann.join('\n') + '\n');
  writeFileSync(marker, '');
}

function ferplus(dir: string): void {
  if (existsSync(path.join(dir, 'fer2013new.csv'))) return;
  mkdirSync(dir, { recursive: true });
  const rows = ferPlusRows(35_887);
  const pixels = (i: number) => Array.from({ length: 2304 }, (_, p) => (i * 3 + p) % 256).join(' ');
  const old = ['emotion,pixels,Usage'];
  const votes = ['Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF'];
  rows.forEach((r, i) => {
    old.push(`0,${pixels(i)},${r.usage}`);
    votes.push(`${r.usage},fer${String(i).padStart(7, '0')}.png,${r.votes.join(',')}`);
  });
  writeFileSync(path.join(dir, 'fer2013.csv'), old.join('\n') + '\n');
  writeFileSync(path.join(dir, 'fer2013new.csv'), votes.join('\n') + '\n');
}

async function measure(name: string, dir: string): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await loadDataFolder(dir, undefined, '--data');
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const n = r.dataset.train.labels.length + r.dataset.test.labels.length;
  // CPU time too: on a shared machine the wall time is mostly waiting for a core.
  const line = `${name}: ${n} images in ${s.toFixed(1)} s wall = ${Math.round(n / s)} images/s; ${cpu.toFixed(1)} s CPU = ${Math.round(n / cpu)} images per CPU-second (load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores)`;
  process.stdout.write(line + '\n');
}

const perClass = Math.round(Number(v['tiny-images'] ?? 110_000) / 1.1 / 200);
if (only.has('cifar100')) {
  cifar100(path.join(TMP, 'cifar-100-binary'));
  await measure('CIFAR-100 binary (synthetic, 60,000)', path.join(TMP, 'cifar-100-binary'));
}
if (only.has('tiny')) {
  const dir = path.join(TMP, `tiny-imagenet-${perClass}`);
  const t0 = performance.now();
  await tiny(dir, perClass);
  process.stderr.write(`(Tiny-ImageNet folder ready in ${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
  await measure(`Tiny-ImageNet-shaped (${perClass} + ${Math.max(1, Math.round(perClass / 10))} a class × 200, 64×64 JPEG)`, dir);
}
if (only.has('ferplus')) {
  ferplus(path.join(TMP, 'ferplus'));
  await measure('FERPlus-sized CSVs (35,887 rows, 48×48)', path.join(TMP, 'ferplus'));
}
