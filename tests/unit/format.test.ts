// The one formatter of numbers as text (src/engine/format.ts) and the progress line built on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { articleFor, bytesOfText, bytesText, clockText, countText, dateText } from '../../src/engine/format.ts';
import { progressFigures } from '../../src/engine/progress.ts';

test('bytes: powers of 1000 for files and storage, of 1024 for memory and caps; one decimal, none when whole', () => {
  assert.deepEqual(
    [512_000, 400, 1_500, 0, 23_456_789, 1.2e9, NaN].map((b) => bytesText(b)),
    ['512 kB', '400 B', '1.5 kB', '0 B', '23.5 MB', '1.2 GB', '–'],
    'a small CSV is "400 B", not "0 kB"',
  );
  assert.equal(bytesText(120_000_000), '120 MB');
  assert.equal(bytesText(460_170_000), '460.2 MB');
  assert.equal(bytesText(999_960), '1 MB', 'a rounding carries into the next unit');
  assert.equal(bytesText(4 << 20, 'binary'), '4 MiB');
  assert.equal(bytesText(5.4 * 2 ** 30, 'binary'), '5.4 GiB');
  assert.equal(bytesText(-1), '–');
  assert.equal(bytesOfText(120e6, 460.17e6), '120 MB / 460.2 MB');
});

test('counts with thousands separators; the article a number is read with', () => {
  assert.equal(countText(12271), '12,271');
  assert.equal(countText(3068), '3,068');
  assert.equal(`${articleFor(8631)} ${countText(8631)}-way head`, 'an 8,631-way head');
  assert.deepEqual([7, 8, 11, 18, 80, 100, 11_000, 18_500, 110_000, 1_800].map(articleFor), [
    'a',
    'an',
    'an',
    'an',
    'an',
    'a',
    'an',
    'an',
    'a',
    'a',
  ]);
});

test('the CLI clock carries its rounding: never "2m60s"', () => {
  assert.equal(clockText(179.6), '3m00s');
  assert.equal(clockText(179.4), '2m59s');
  assert.equal(clockText(59.7), '1m00s');
  assert.equal(clockText(3599.7), '1h00m');
  assert.equal(clockText(7199), '2h00m');
  assert.equal(clockText(45), '45s');
  assert.equal(clockText(null), '?');
});

test('one date format: year-month-day hours:minutes, local time', () => {
  assert.equal(dateText(new Date(2026, 11, 7, 14, 5, 59)), '2026-12-07 14:05');
  assert.equal(dateText('not a date'), '–');
});

test('a progress line: bytes as sizes, items as counts, no "0 / 1" before the total is known', () => {
  const detail = 'reading RAF-DB basic from the dataset cache';
  assert.equal(progressFigures({ done: 120e6, total: 460.17e6, detail, unit: 'bytes' }), `${detail}: 120 MB / 460.2 MB`);
  assert.equal(progressFigures({ done: 1200, total: 15339, detail: 'drawing' }), 'drawing: 1,200 / 15,339');
  assert.equal(progressFigures({ done: 0, total: 0, detail }), `${detail}…`);
});
