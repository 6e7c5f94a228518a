#!/usr/bin/env node
// Runs `eac bench` on each Node backend, the benchmark page on WebGPU in headless Chromium
// (scripts/bench/browser.ts), and the same EAC step in PyTorch CPU (Debian's python3-torch,
// tools/bench/torch_step.py) on this machine, one after the other, and prints a table.
// Usage: node scripts/bench/all.mjs [--quick] [--no-browser] [--only B,B…] [--arch resnet18|resnet50] [--out FILE]
//   cases: ResNet-18 at 112 px and ResNet-50 at 224 px; the batch is reduced for slow backends.
//   PyTorch CPU runs twice: on one thread (what tfjs-wasm has in Node) and on every core.
//   --only: a subset of pytorch-cpu, wasm, webgpu, cpu (e.g. `--only pytorch-cpu,wasm --no-browser`:
//   the wasm step next to PyTorch's, with the ratio of their images/s).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const outFile = args.includes('--out') ? args[args.indexOf('--out') + 1] : null;
const flagValue = (flag) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : null);
const only = flagValue('--only')?.split(',') ?? null;
const cases = [
  { arch: 'resnet18', size: 112 },
  { arch: 'resnet50', size: 224 },
].filter((c) => !flagValue('--arch') || c.arch === flagValue('--arch'));
// Batch per backend: the full recipe batch (32) where a step takes seconds, less where it takes minutes.
const batches = quick
  ? { 'pytorch-cpu': 4, wasm: 4, webgpu: 2, cpu: 2, 'chromium-webgpu': 2 }
  : { 'pytorch-cpu': 32, wasm: 32, webgpu: 2, cpu: 2, 'chromium-webgpu': 2 };
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
  const runs = [
    { backend: 'pytorch-cpu', threads: 1 },
    { backend: 'pytorch-cpu', threads: cpus().length },
    { backend: 'wasm' },
    { backend: 'webgpu' },
    { backend: 'cpu' },
  ].filter((r) => !only || only.includes(r.backend));
  for (const { backend, threads } of runs) {
    const batch = batches[backend];
    const label = threads ? `${backend} (${threads} thread${threads > 1 ? 's' : ''})` : backend;
    process.stderr.write(`${c.arch} ${c.size}px batch ${batch} on ${label} ...\n`);
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
            '--threads',
            String(threads),
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
    rows.push({ ...c, batchSize: batch, ...res, backend: label });
    process.stderr.write(
      `  ${res.error ? 'error: ' + res.error : `${res.msPerStep.toFixed(0)} ms/step, ${res.imagesPerSecond.toFixed(2)} images/s`}\n`,
    );
  }
}
if (!args.includes('--no-browser') && !only) {
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
// wasm against PyTorch CPU, per case: the ratio of images/s.
const ratios = cases.flatMap((c) => {
  const of = (prefix) => rows.filter((r) => r.arch === c.arch && r.backend.startsWith(prefix) && !r.error);
  const wasm = of('wasm')[0];
  return wasm
    ? of('pytorch-cpu').map(
        (t) => `${c.arch} @ ${c.size}px: wasm / ${t.backend} = ${(wasm.imagesPerSecond / t.imagesPerSecond).toFixed(2)}×`,
      )
    : [];
});
process.stdout.write(table + '\n' + ratios.map((l) => `\n${l}`).join('') + (ratios.length ? '\n' : ''));
if (outFile) writeFileSync(outFile, JSON.stringify(rows, null, 2) + '\n');
