#!/usr/bin/env node
// Runs `eac bench` on each Node backend, the benchmark page on WebGPU in headless Chromium
// (scripts/bench/browser.ts), and the same EAC step in PyTorch CPU (Debian's python3-torch,
// tools/bench/torch_step.py) on this machine, one after the other, and prints a table.
// Usage: node scripts/bench/all.mjs [--quick] [--no-browser] [--out FILE]
//   cases: ResNet-18 at 112 px and ResNet-50 at 224 px; the batch is reduced for slow backends.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outFile = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
const cases = [
  { arch: 'resnet18', size: 112 },
  { arch: 'resnet50', size: 224 },
];
// Batch per backend: the full recipe batch (32) where a step takes seconds, less where it takes minutes.
const batches = quick
  ? { 'pytorch-cpu': 4, wasm: 4, webgpu: 2, cpu: 2, 'chromium-webgpu': 2 }
  : { 'pytorch-cpu': 32, wasm: 8, webgpu: 2, cpu: 2, 'chromium-webgpu': 2 };
const steps = quick ? 1 : 2;
// SwiftShader (WebGPU) and tfjs-cpu take minutes per step at full size: one timed step each.
const stepsFor = (backend) => (['webgpu', 'cpu', 'chromium-webgpu'].includes(backend) ? 1 : steps);

function run(cmd, argv, env = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').pop() };
  const line =
    r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop() ?? r.stdout;
  try {
    return JSON.parse(line.startsWith('{') ? line : r.stdout);
  } catch {
    return JSON.parse(r.stdout);
  }
}

const rows = [];
for (const c of cases) {
  for (const backend of ['pytorch-cpu', 'wasm', 'webgpu', 'cpu']) {
    const batch = batches[backend];
    process.stderr.write(`${c.arch} ${c.size}px batch ${batch} on ${backend} ...\n`);
    const n = String(stepsFor(backend));
    const res =
      backend === 'pytorch-cpu'
        ? run('/usr/bin/python3', [
            'tools/bench/torch_step.py',
            '--arch',
            c.arch,
            '--size',
            String(c.size),
            '--batch-size',
            String(batch),
            '--steps',
            n,
          ])
        : run(process.execPath, [
            'bin/eac.js',
            'bench',
            '--arch',
            c.arch,
            '--size',
            String(c.size),
            '--batch-size',
            String(batch),
            '--steps',
            n,
            '--warmup',
            '1',
            '--backend',
            backend,
            '--json',
          ]);
    rows.push({ ...c, backend, batchSize: batch, ...res });
    process.stderr.write(
      `  ${res.error ? 'error: ' + res.error : `${res.msPerStep.toFixed(0)} ms/step, ${res.imagesPerSecond.toFixed(2)} images/s`}\n`,
    );
  }
}
if (!args.includes('--no-browser')) {
  const batch = batches['chromium-webgpu'];
  const queries = cases.map((c) => `arch=${c.arch}&size=${c.size}&batch=${batch}&steps=${stepsFor('chromium-webgpu')}&warmup=1`);
  process.stderr.write(`benchmark page on WebGPU in headless Chromium: ${queries.join(' ; ')} ...\n`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench/browser.ts', ...queries], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  let results = [];
  try {
    results = JSON.parse(r.stdout);
  } catch {
    results = cases.map(() => ({ error: (r.stderr || 'no output').trim().split('\n').pop() }));
  }
  cases.forEach((c, i) => rows.push({ ...c, ...results[i], backend: 'chromium-webgpu', batchSize: batch }));
}
const table = [
  '| model | backend | batch | ms / step | images / s |',
  '| --- | --- | --- | --- | --- |',
  ...rows.map(
    (r) =>
      `| ${r.arch} @ ${r.size}px | ${r.backend}${r.adapter ? ` (${r.adapter})` : ''} | ${r.batchSize} | ${r.error ? 'error: ' + r.error : r.msPerStep.toFixed(0)} | ${r.error ? '' : r.imagesPerSecond.toFixed(2)} |`,
  ),
].join('\n');
process.stdout.write(table + '\n');
if (outFile) writeFileSync(outFile, JSON.stringify(rows, null, 2) + '\n');
