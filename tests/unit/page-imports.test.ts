// The page must not load TensorFlow.js (about 1.5 MB, and a second backend beside the worker's):
// walks the static imports from src/main.tsx (type-only imports and `new URL(..)` workers do not
// count) and fails naming the chain that reaches tfjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
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
  assert.deepEqual(valueImports(`import type { A } from './a.ts';\nimport { type B } from './b.ts';\nimport { c, type D } from './c.ts';\nexport { e } from './e.ts';\nimport './x.css';`), ['./c.ts', './e.ts', './x.css']);
});
