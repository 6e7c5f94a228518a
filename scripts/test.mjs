#!/usr/bin/env node
// Runs every test: the type checks, the formatter and linter (biome), the unit tests on the cpu
// backend, the backend-sensitive tests again on wasm and on WebGPU (Dawn in Node), and the browser
// tests in headless Chromium.
// Prints one closing line "tests: N passed, N failed, N skipped (names…)" over all suites; exits
// non-zero on failure. Browser tests write their screenshots to the ignored artifacts/ folder; the
// ones docs/ shows are refreshed on purpose by `npm run screenshots` (scripts/screenshots.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
process.chdir(root);
const only = process.argv.slice(2); // optional suite names: typecheck lint unit wasm webgpu browser
const want = (s) => only.length === 0 || only.includes(s);
const list = (dir) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.test.ts') || f.endsWith('.test.tsx'))
    .sort()
    .map((f) => path.join(dir, f));

const chromiumLibs = '/usr/lib/chromium';
const webgpuEnv = {
  LD_LIBRARY_PATH: [chromiumLibs, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':'),
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? path.join(root, '.tmp', 'xdg'),
};
mkdirSync(webgpuEnv.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });

// Tests whose numbers depend on the backend's kernels run on every backend.
const backendSensitive = [
  'tests/unit/conv.test.ts',
  'tests/unit/golden.test.ts',
  'tests/unit/kernel-table.test.ts',
  'tests/unit/recompute.test.ts',
  'tests/unit/pipeline.test.ts',
  'tests/unit/trainer.test.ts',
];
const suites = [
  // Component tests (tests/unit/components: real components and stores in happy-dom) run with them.
  want('unit') && {
    name: 'unit (cpu backend)',
    files: [...list('tests/unit'), ...list('tests/unit/components')],
    env: { EAC_TEST_BACKEND: 'cpu' },
  },
  // Run-logic tests (a model trained for a few steps) run here only: wasm is several times faster than cpu.
  want('wasm') && {
    name: 'wasm backend',
    // backprop: the max pool's row gathers (src/engine/gather-windows.ts) exist on wasm only.
    files: [
      ...backendSensitive,
      'tests/unit/backprop.test.ts',
      'tests/unit/train-worker.test.ts',
      'tests/unit/fashion-mnist.test.ts',
      'tests/unit/cli-sweep.test.ts',
      'tests/unit/cli-sweep-cluster.test.ts',
    ],
    env: { EAC_TEST_BACKEND: 'wasm' },
  },
  // SwiftShader emulates the GPU on the CPU: here only what depends on kernels (trainer.test.ts
  // skips its backend-independent run-logic tests on webgpu), to keep CI short.
  // The golden checks on WebGPU run in Chromium (tests/browser/golden-webgpu.test.ts): not again here.
  want('webgpu') && {
    name: 'webgpu backend (Dawn in Node)',
    // The fused WGSL kernels (src/engine/fused) exist on WebGPU only: checked against the stock ops here.
    // The step program (src/engine/step-program) replays recorded steps on WebGPU only: replayed against tfjs's ops here.
    files: [
      ...backendSensitive.filter((f) => !f.endsWith('golden.test.ts')),
      'tests/unit/fused-kernels.test.ts',
      'tests/unit/step-program.test.ts',
    ],
    env: { EAC_TEST_BACKEND: 'webgpu', ...webgpuEnv },
  },
  want('browser') &&
    existsSync('tests/browser') && {
      name: 'browser (headless Chromium)',
      files: list('tests/browser'),
      env: {},
      prebuild: path.join(root, '.tmp/browser-test-dist'),
    },
].filter(Boolean);

let passed = 0;
let failed = 0;
const failures = [];
const skippedNames = [];
if (want('typecheck')) {
  process.stdout.write('\n=== typecheck (tsc --noEmit) ===\n');
  // The whole project, then the engine alone without the DOM or Node (tsconfig.engine.json).
  for (const project of ['tsconfig.json', 'tsconfig.engine.json']) {
    const r = spawnSync('npx', ['tsc', '--noEmit', '-p', project], { stdio: 'inherit' });
    if (r.status === 0) passed++;
    else {
      failed++;
      failures.push(`typecheck (${project})`);
    }
  }
}
if (want('lint')) {
  // Formatting and lint rules (biome.json): `npx biome check --write .` fixes what it can.
  process.stdout.write('\n=== lint (biome ci) ===\n');
  const r = spawnSync('npx', ['biome', 'ci', '.'], { stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    failed++;
    failures.push('lint');
  }
}
for (const s of suites) {
  process.stdout.write(`\n=== ${s.name}: ${s.files.length} files ===\n`);
  const t0 = Date.now();
  if (s.prebuild) {
    // One production build serves every browser test (tests/browser/harness.ts serveBuilt).
    const b = spawnSync('npx', ['vite', 'build', '--mode', 'test', '--outDir', s.prebuild, '--emptyOutDir', '--logLevel', 'warn'], {
      stdio: 'inherit',
    });
    if (b.status !== 0) {
      failed++;
      failures.push(`${s.name} (vite build)`);
      continue;
    }
    s.env.EAC_PREBUILT = s.prebuild;
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...s.files], {
    env: { ...process.env, ...s.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const out = (r.stdout ?? '') + (r.stderr ?? '');
  process.stdout.write(
    out
      .split('\n')
      .filter((l) => !/TensorFlow\.js in Node\.js|tfjs-node|^=+$|^\s*$/.test(l.replace(/\x1b\[[0-9;]*m/g, '').trim()) || l === '')
      .join('\n'),
  );
  const count = (label) => {
    const m = out.replace(/\x1b\[[0-9;]*m/g, '').match(new RegExp(`^\\S*\\s*${label} (\\d+)`, 'm'));
    return m ? Number(m[1]) : 0;
  };
  const p = count('pass');
  const f = count('fail') + (r.status !== 0 && count('fail') === 0 ? 1 : 0);
  const skipped = skippedTests(out);
  passed += p;
  failed += f;
  for (const name of skipped) skippedNames.push(`${name} [${s.name}]`);
  if (f) failures.push(s.name);
  process.stdout.write(
    `\n--- ${s.name}: ${p} passed, ${f} failed, ${skipped.length} skipped (${((Date.now() - t0) / 1000).toFixed(0)}s)\n`,
  );
}
if (failures.length) process.stdout.write(`\nfailed suites: ${failures.join(', ')}\n`);
const skippedList = skippedNames.length ? ` (${skippedNames.join('; ')})` : '';
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skippedNames.length} skipped${skippedList}\n`);
process.exit(failed ? 1 : 0);

/**
 * The skipped tests in a spec reporter's output, each as "name: reason": node's spec reporter marks
 * a skipped test with "﹣" and ends its line with "# reason" ("# SKIP" when none was given).
 */
function skippedTests(out) {
  const names = [];
  for (const raw of out.replace(/\x1b\[[0-9;]*m/g, '').split('\n')) {
    const m = raw.match(/^\s*\uFE63 (.*?) \([\d.]+m?s\)(?: # (.*))?$/);
    if (m) names.push(m[2] && m[2] !== 'SKIP' ? `${m[1]}: ${m[2]}` : m[1]);
  }
  return names;
}
