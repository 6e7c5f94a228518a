// A sweep's Ctrl-C at a cell's start (issue 24, item 14): the cell's run (eac train with the
// cell's --out CELL.json and --checkpoint CELL.ckpt, as `eac sweep` runs it) stops before its
// first step. It writes no 0-step CELL.json, names no checkpoint that was never written, and the
// sweep reads it as interrupted. In-process, the stop already asked for: no timing involved.
//
//   EAC_TEST_BACKEND=cpu node --import tsx --test tests/unit/sweep-cancel.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCellHere } from '../../src/cli/sweep-runner.ts';
import { TINY_DEMO_ARGS } from '../fixtures/tiny-demo-args.ts';

const tiny = [...TINY_DEMO_ARGS, '--epochs', '1', '--backend', 'cpu'];

/** Runs `fn` with stderr captured. */
async function stderrOf<T>(fn: () => Promise<T>): Promise<{ value: T; err: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    err += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  try {
    return { value: await fn(), err };
  } finally {
    process.stderr.write = write;
  }
}

test('a cell stopped before its first step writes no run JSON and names no checkpoint', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'eac-cancel-'));
  try {
    const out = path.join(dir, 'eac-noise0-seed0.json');
    const ckpt = path.join(dir, 'eac-noise0-seed0.ckpt');
    const watch = { onStep: () => undefined, onCheckpoint: () => undefined };
    const { value: end, err } = await stderrOf(() =>
      runCellHere([...tiny, '--out', out, '--checkpoint', ckpt], AbortSignal.abort(), watch),
    );
    assert.deepEqual(end, { kind: 'interrupted' });
    assert.equal(existsSync(out), false, 'no 0-step CELL.json');
    assert.equal(existsSync(ckpt), false);
    assert.match(err, /cancelled before the first step: nothing trained, nothing written/);
    assert.doesNotMatch(err, /--resume|\.ckpt/, 'no checkpoint that was never written is named');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
