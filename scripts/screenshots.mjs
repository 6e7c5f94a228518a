#!/usr/bin/env node
// Refreshes the screenshots that docs/ and the README show (docs/screenshots/*.png), on purpose:
// runs the browser tests that take them with EAC_DOC_SCREENSHOTS=1. Without it (npm test) those
// tests write to the ignored artifacts/screenshots/docs/, so a test run leaves git status clean.
//
//   npm run screenshots            # every browser test that takes a doc screenshot
//   npm run screenshots -- lab     # only tests/browser/lab.test.ts
import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
// The browser tests that write a doc screenshot through docScreenshotPath (tests/browser/harness.ts).
const takers = [
  'camera',
  'classroom',
  'confusion',
  'dataset-formats-page',
  'datasets-page',
  'first-run',
  'folder-ingest',
  'lab',
  'resume-step',
  'runbar',
  'sweep',
  'sweep-axes',
  'weights-import',
];
const asked = process.argv.slice(2);
const unknown = asked.filter((n) => !takers.includes(n));
if (unknown.length) {
  process.stderr.write(`screenshots: no doc screenshots in ${unknown.join(', ')}; pick from ${takers.join(', ')}\n`);
  process.exit(2);
}
const files = (asked.length ? asked : takers).map((n) => `tests/browser/${n}.test.ts`);
const dist = path.join(root, '.tmp/browser-test-dist');
const b = spawnSync('npx', ['vite', 'build', '--mode', 'test', '--outDir', dist, '--emptyOutDir', '--logLevel', 'warn'], {
  stdio: 'inherit',
});
if (b.status !== 0) process.exit(b.status ?? 1);
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], {
  stdio: 'inherit',
  env: { ...process.env, EAC_PREBUILT: dist, EAC_DOC_SCREENSHOTS: '1' },
});
process.stdout.write('\nscreenshots: docs/screenshots/ refreshed; review with `git diff --stat docs/screenshots`\n');
process.exit(r.status ?? 1);
