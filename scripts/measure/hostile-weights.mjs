// Times the hostile weight files of tests/unit/weights-hostile.test.ts (the tests bound memory
// only): runs tests/unit/weights-hostile.child.ts on each fixture in tests/fixtures/hostile/ and on
// the inputs it builds, and prints a Markdown table of outcome, read time and peak RSS.
//
//   node scripts/measure/hostile-weights.mjs [--many 20000]
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({ options: { many: { type: 'string', default: '20000' } } });
const dir = path.join(root, 'tests/fixtures/hostile');
const child = path.join(root, 'tests/unit/weights-hostile.child.ts');
const cases = [
  ...readdirSync(dir)
    .filter((f) => /\.(pth|pkl|safetensors)$/.test(f))
    .sort()
    .map((f) => ['read', path.join(dir, f), f]),
  ['gen-many', values.many, `${values.many} deflated storages`],
];
process.stdout.write('| input | outcome | read | peak RSS |\n|---|---|---|---|\n');
for (const [mode, arg, label] of cases) {
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', 'tsx', child, mode, arg], {
    encoding: 'utf8',
    timeout: 300_000,
    killSignal: 'SIGKILL',
  });
  if (r.signal || r.status !== 0) {
    process.stdout.write(`| ${label} | ${r.signal ? `killed (${r.signal})` : `crashed (exit ${r.status})`} | - | - |\n`);
    continue;
  }
  const o = JSON.parse(r.stdout.trim().split('\n').pop());
  const outcome = o.ok ? 'read' : `refused: ${o.error.slice(0, 80)}`;
  process.stdout.write(`| ${label} | ${outcome} | ${o.ms.toFixed(0)} ms | ${o.maxRssMB.toFixed(0)} MB |\n`);
}
