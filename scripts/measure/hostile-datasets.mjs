// Runs `eac dataset inspect DIR --json` under /usr/bin/time -v on each hostile folder that
// tools/fixtures/make-hostile-datasets.ts wrote, and prints a Markdown table: outcome, wall time, peak
// RSS. A watchdog kills a run past --timeout seconds or --max-rss MB (the unfixed reader would
// otherwise take the machine), and the table says so.
//
//   node --import tsx tools/fixtures/make-hostile-datasets.ts /tmp/hostile
//   node scripts/measure/hostile-datasets.mjs /tmp/hostile [--repo DIR] [--timeout 60] [--max-rss 3000] [--only a,b]
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    repo: { type: 'string' },
    timeout: { type: 'string', default: '60' },
    'max-rss': { type: 'string', default: '3000' },
    only: { type: 'string' },
  },
});
const casesDir = positionals[0];
if (!casesDir)
  throw new Error('usage: node scripts/measure/hostile-datasets.mjs CASES_DIR [--repo DIR] [--timeout S] [--max-rss MB] [--only a,b]');
const repo = path.resolve(o.repo ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../..'));
const timeoutMs = Number(o.timeout) * 1000;
const maxRssKb = Number(o['max-rss']) * 1024;
const only = o.only ? new Set(o.only.split(',')) : null;

const childOf = (pid) => {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/)[0]) || null;
  } catch {
    return null;
  }
};
const rssKb = (pid) => {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
};
const clip = (s, n = 150) => (s.length > n ? s.slice(0, n) + '…' : s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

function outcomeOf(status, stdout, stderr) {
  if (status === 0) {
    try {
      const r = JSON.parse(stdout);
      const parts = [`exit 0: ${r.train} train / ${r.test} test`];
      for (const [n, why] of Object.entries(r.unreadableReasons ?? {})) parts.push(`${n} skipped: "${why}"`);
      if (r.badLines?.length) parts.push(`${r.badLines.length} bad lines, first: "${r.badLines[0].reason}"`);
      if (r.missingImages?.length) parts.push(`${r.missingImages.length} missing`);
      return parts.join('; ');
    } catch {
      return `exit 0, output not JSON (${stdout.length} bytes)`;
    }
  }
  const lines = stderr
    .trim()
    .split('\n')
    .filter(
      (l) =>
        !/^\s*(Command being timed|Command exited|User time|System time|Percent of CPU|Elapsed|Average|Maximum resident|Major|Minor|Voluntary|Involuntary|Swaps|File system|Socket|Signals|Page size|Exit status|Command terminated)/.test(
          l.trim(),
        ),
    );
  return `exit ${status}: ${lines.at(-1) ?? ''}`;
}

function run(dir) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn('/usr/bin/time', ['-v', process.execPath, path.join(repo, 'bin/eac.js'), 'dataset', 'inspect', dir, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout.length < 1 << 20 ? (stdout += b) : null));
    p.stderr.on('data', (b) => (stderr = (stderr + b).slice(-20000)));
    let killed = null;
    let seenKb = 0;
    const watch = setInterval(() => {
      const c = childOf(p.pid);
      if (!c) return;
      const rss = rssKb(c);
      seenKb = Math.max(seenKb, rss);
      const t = performance.now() - t0;
      if (rss > maxRssKb) killed = `killed at ${(rss / 1024).toFixed(0)} MB RSS (limit ${o['max-rss']} MB)`;
      else if (t > timeoutMs) killed = `killed after ${o.timeout} s, still running`;
      if (killed) process.kill(c, 'SIGKILL');
    }, 100);
    p.on('close', () => {
      clearInterval(watch);
      const wall = (performance.now() - t0) / 1000;
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
      const exit = /Exit status: (\d+)/.exec(stderr);
      const status = exit ? Number(exit[1]) : null;
      // time -v's figure; the watchdog's own samples where time printed none (a killed run).
      resolve({
        wall,
        peakMb: rss ? Number(rss[1]) / 1024 : seenKb ? seenKb / 1024 : null,
        outcome: killed ?? outcomeOf(status, stdout, stderr),
      });
    });
  });
}

const rows = [];
for (const name of readdirSync(casesDir).sort()) {
  if (only && !only.has(name)) continue;
  const r = await run(path.join(casesDir, name));
  const row = `| ${name} | ${clip(r.outcome)} | ${r.wall.toFixed(1)} s | ${r.peakMb === null ? '?' : r.peakMb.toFixed(0) + ' MB'} |`;
  console.error(row);
  rows.push(row);
}
console.log(`repo: ${repo}\n\n| input | outcome | time | peak RSS |\n|---|---|---|---|\n${rows.join('\n')}`);
