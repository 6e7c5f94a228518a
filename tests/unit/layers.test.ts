// The architecture, checked: imports go one way down the layers (LAYERS below), no file imports
// itself back through others, and the page never loads TensorFlow.js (about 1.5 MB, and a second
// backend beside the worker's). A failure names the chain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Value imports and re-exports of a module (not `import type`, not `export type`). */
export function valueImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(?:import|export)\s+(?!type\b)([^'";]*?)\s*from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) {
    const spec = m[2] ?? m[3];
    // `import { type A, type B } from` imports nothing at run time.
    if (m[1] && /^\{\s*(type\s+\w+\s*(as\s+\w+\s*)?,?\s*)+\}$/.test(m[1].trim())) continue;
    out.push(spec);
  }
  return out;
}

function resolveLocal(from: string, spec: string): string | null {
  if (!spec.startsWith('.')) return null;
  const p = path.resolve(path.dirname(from), spec);
  for (const c of [p, `${p}.ts`, `${p}.tsx`]) if (existsSync(c) && /\.(ts|tsx)$/.test(c)) return c;
  return null;
}

test('the page never imports TensorFlow.js (only the workers do)', () => {
  const start = path.join(ROOT, 'src/main.tsx');
  const parent = new Map<string, string | null>([[start, null]]);
  const queue = [start];
  const offenders: string[] = [];
  while (queue.length) {
    const file = queue.shift()!;
    for (const spec of valueImports(readFileSync(file, 'utf8'))) {
      if (/^@tensorflow\/tfjs(?!-core\/dist\/version)/.test(spec) || /engine\/tf(\.ts)?$/.test(spec)) {
        const chain: string[] = [spec];
        for (let f: string | null = file; f; f = parent.get(f) ?? null) chain.unshift(path.relative(ROOT, f));
        offenders.push(chain.join(' → '));
        continue;
      }
      const next = resolveLocal(file, spec);
      if (next && !parent.has(next)) {
        parent.set(next, file);
        queue.push(next);
      }
    }
  }
  assert.ok(parent.size > 10, `walked ${parent.size} modules`);
  assert.deepEqual(offenders, []);
});

test('the import scanner tells type-only imports from value imports', () => {
  assert.deepEqual(
    valueImports(
      `import type { A } from './a.ts';\nimport { type B } from './b.ts';\nimport { c, type D } from './c.ts';\nexport { e } from './e.ts';\nimport './x.css';`,
    ),
    ['./c.ts', './e.ts', './x.css'],
  );
});

// ---------------------------------------------------------------------------------------------
// Layers: every import (type imports too: they are dependencies of the design) goes one way, down
// this table. A folder may import itself and what its row allows, nothing else; no file-level
// cycle anywhere. Workers are started with `new URL(..)`, which is not an import.

/** Which folders each folder may import. Order: ui → worker → storage → data, weights → engine. */
export const LAYERS: Record<string, readonly string[]> = {
  'src/engine': [],
  'src/data': ['src/engine'],
  'src/weights': ['src/engine'],
  'src/storage': ['src/engine', 'src/data', 'src/weights'],
  'src/cli': ['src/engine', 'src/data', 'src/weights'],
  'src/worker': ['src/engine', 'src/data', 'src/weights', 'src/storage'],
  workers: ['src/engine', 'src/data', 'src/weights', 'src/storage', 'src/worker'],
  'src/ui': ['src/engine', 'src/data', 'src/weights', 'src/storage', 'src/worker'],
  'src/bench': ['src/engine', 'src/worker'],
  'src/main.tsx': ['src/ui'],
};

/** Every import specifier of a module: value and type imports, re-exports, dynamic imports. */
export function allImports(source: string): string[] {
  const out: string[] = [];
  const re =
    /^\s*(?:import|export)\s+(?:type\s+)?[^'";]*?\s*from\s*['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** The layer a file belongs to: its folder in LAYERS (src/x/… → src/x), or null outside them. */
export function layerOf(rel: string): string | null {
  const parts = rel.split('/');
  const key = parts[0] === 'src' ? (parts.length === 2 ? rel : `src/${parts[1]}`) : parts[0];
  return key in LAYERS ? key : null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.(ts|tsx)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

/** The local import graph of src/ and workers/: file → files it imports (repo-relative). */
export function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const rel of [...sourceFiles('src'), ...sourceFiles('workers')]) {
    const abs = path.join(ROOT, rel);
    const targets: string[] = [];
    for (const spec of allImports(readFileSync(abs, 'utf8'))) {
      const t = resolveLocal(abs, spec.replace(/\?.*$/, ''));
      if (t) targets.push(path.relative(ROOT, t));
    }
    graph.set(rel, targets);
  }
  return graph;
}

/** Imports that break the table, each as "from → to (layer may import only …)". */
export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [from, targets] of graph) {
    const a = layerOf(from);
    for (const to of targets) {
      const b = layerOf(to);
      if (!a || !b || a === b || LAYERS[a].includes(b)) continue;
      out.push(`${from} → ${to} (${a} may import only: ${LAYERS[a].join(', ') || 'itself'})`);
    }
  }
  return out;
}

/** File-level import cycles, each as the chain "a → b → … → a" (one per strongly connected group). */
export function importCycles(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const t of graph.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' → '));
      else if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of [...graph.keys()].sort()) if (!state.has(f)) visit(f);
  return cycles;
}

test('imports go one way down the layers (ui → worker → storage → data, weights → engine)', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `walked ${graph.size} files`);
  for (const f of graph.keys()) assert.ok(layerOf(f), `${f} is in no layer: add its folder to LAYERS`);
  assert.deepEqual(layerViolations(graph), []);
});

test('no import cycles between files', () => {
  assert.deepEqual(importCycles(importGraph()), []);
});

test('the layer rules name the chain of a wrong import', () => {
  const planted = new Map([
    ['src/engine/trainer.ts', ['src/data/demo.ts']],
    ['src/data/demo.ts', ['src/engine/rng.ts']],
    ['src/storage/run-store.ts', ['src/worker/protocol.ts']],
  ]);
  assert.deepEqual(layerViolations(planted), [
    'src/engine/trainer.ts → src/data/demo.ts (src/engine may import only: itself)',
    'src/storage/run-store.ts → src/worker/protocol.ts (src/storage may import only: src/engine, src/data, src/weights)',
  ]);
  const cyclic = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
    ['d', ['a']],
  ]);
  assert.deepEqual(importCycles(cyclic), ['a → b → c → a']);
  assert.deepEqual(allImports(`import type { A } from './a.ts';\nexport * from './b.ts';\nconst m = await import('./c.ts');`), [
    './a.ts',
    './b.ts',
    './c.ts',
  ]);
});
