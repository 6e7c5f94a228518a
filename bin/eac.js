#!/usr/bin/env node
// Launcher for the `eac` command: runs the TypeScript CLI through tsx (no build step).
// WebGPU in Node (Dawn) loads libvulkan at run time; where the system has no Vulkan loader, the
// one shipped with Debian's Chromium is used, which needs LD_LIBRARY_PATH set before start-up,
// so the launcher re-executes itself once with it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const chromiumLibs = '/usr/lib/chromium';
const wantsWebgpu = process.argv.includes('webgpu') || process.argv.some((a) => a === '--backend=webgpu');
const hasSystemVulkan = [
  '/usr/lib/x86_64-linux-gnu/libvulkan.so.1',
  '/usr/lib/aarch64-linux-gnu/libvulkan.so.1',
  '/usr/lib64/libvulkan.so.1',
  '/usr/lib/libvulkan.so.1',
].some(existsSync);
const ld = process.env.LD_LIBRARY_PATH ?? '';
if (
  wantsWebgpu &&
  !hasSystemVulkan &&
  existsSync(path.join(chromiumLibs, 'libvulkan.so.1')) &&
  !ld.split(':').includes(chromiumLibs) &&
  !process.env.EAC_NO_REEXEC
) {
  const env = { ...process.env, LD_LIBRARY_PATH: ld ? `${chromiumLibs}:${ld}` : chromiumLibs, EAC_NO_REEXEC: '1' };
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

const { register } = await import('tsx/esm/api');
register();
const { main } = await import(pathToFileURL(path.join(here, '..', 'src', 'cli', 'main.ts')).href);
process.exitCode = await main(process.argv.slice(2));
