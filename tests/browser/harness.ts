// Shared pieces of the browser tests: headless Chromium (playwright-core, the system Chromium),
// Vite's dev server or a production build + preview server on a free port, a guard that records
// any request leaving the app's origin, and the screenshot folder.
import { createServer as createNetServer } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, createServer, preview, type InlineConfig } from 'vite';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SCREENSHOTS = path.join(ROOT, 'artifacts/screenshots');
export const CHROMIUM = process.env.EAC_CHROMIUM ?? '/usr/bin/chromium';

const BASE_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/**
 * Headless Chromium with WebGPU (SwiftShader when there is no GPU), or with WebGPU turned off;
 * `webgl: false` turns WebGL off too.
 */
export async function launchChromium(opts: { webgpu: boolean; webgl?: boolean; extraArgs?: string[] }): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs(opts) });
}

/** `extraArgs`: more switches, e.g. a fake camera (`--use-fake-device-for-media-stream`). */
function chromiumArgs(opts: { webgpu: boolean; webgl?: boolean; extraArgs?: string[] }): string[] {
  return [
    ...BASE_ARGS,
    ...(opts.extraArgs ?? []),
    ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : ['--disable-webgpu']),
    ...(opts.webgl === false ? ['--use-gl=disabled'] : []),
  ];
}

/**
 * launchChromium's browser with a profile on disk in `userDataDir`, as a user's Chrome has: storage
 * (IndexedDB, OPFS) lives in files there, where a plain launch's context keeps it in memory.
 */
export async function launchChromiumWithProfile(userDataDir: string, opts: { webgpu: boolean }): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: chromiumArgs(opts) });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

const quiet: InlineConfig = { root: ROOT, configFile: path.join(ROOT, 'vite.config.ts'), logLevel: 'warn', clearScreen: false };

/**
 * Dev-server settings of the tests: their own dependency cache, and every entry the pages and the
 * worker import from, so that the dependency optimiser finds all of them at start-up (a
 * dependency found later, e.g. in the worker, makes Vite reload the page mid-test).
 */
const devOnly: InlineConfig = {
  cacheDir: path.join(ROOT, '.tmp/vite-cache-browser-tests'),
  optimizeDeps: { entries: ['index.html', 'workers/**/*.ts', 'tests/browser/**/*.html'] },
};

/** The Vite dev server (root = the repository), on a free port. */
export async function serveDev(): Promise<Served> {
  const port = await freePort();
  const server = await createServer({ ...quiet, ...devOnly, server: { host: '127.0.0.1', port, strictPort: true, open: false } });
  await server.listen();
  return { url: `http://127.0.0.1:${port}/`, close: () => server.close() };
}

/**
 * `vite build` into a scratch folder, then `vite preview` of it, on a free port. With
 * EAC_PREBUILT set (scripts/test.mjs builds once for all browser tests), that build is served.
 */
export async function serveBuilt(outDir = path.join(ROOT, '.tmp/browser-test-dist')): Promise<Served> {
  if (process.env.EAC_PREBUILT) outDir = process.env.EAC_PREBUILT;
  // Mode 'test': a production build that keeps the ?debug hooks (src/ui/debug-hooks.ts).
  else
    await build({ ...quiet, mode: 'test', build: { outDir, emptyOutDir: true, rolldownOptions: { checks: { bundlerTimings: false } } } });
  const port = await freePort();
  const server = await preview({ ...quiet, build: { outDir }, preview: { host: '127.0.0.1', port, strictPort: true, open: false } });
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.httpServer.close(() => resolve())),
  };
}

/** Records every request (page and workers) that leaves `origin`, and the page's console errors. */
export function watchPage(page: Page, origin: string): { foreign: string[]; consoleErrors: string[]; log: string[] } {
  const foreign: string[] = [];
  const consoleErrors: string[] = [];
  const log: string[] = [];
  const own = new URL(origin).origin;
  page.context().on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (new URL(url).origin !== own) foreign.push(url);
  });
  page.on('console', (msg) => {
    log.push(`[${msg.type()}] ${msg.text()}`);
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  return { foreign, consoleErrors, log };
}

/** A 1366×768 page of the lab on WebAssembly (named in the URL), watched (watchPage), once its backend is up. */
export async function openLabOnWasm(browser: Browser, url: string): Promise<{ page: Page; watch: ReturnType<typeof watchPage> }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const watch = watchPage(page, url);
  await page.goto(`${url}?backend=wasm`);
  await page.waitForFunction(`document.querySelector('[data-testid="backend-name"]')?.getAttribute('data-backend') === 'wasm'`, null, {
    timeout: 60_000,
  });
  return { page, watch };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return path.join(SCREENSHOTS, name);
}

/** Where the screenshots the docs show are refreshed, on purpose: `npm run screenshots` sets it. */
export const DOC_SCREENSHOTS_ENV = 'EAC_DOC_SCREENSHOTS';

/**
 * The path for a screenshot that docs/ shows: docs/screenshots/ when `npm run screenshots` asked
 * for it (EAC_DOC_SCREENSHOTS=1), else the ignored artifacts/screenshots/docs/, so that a test run
 * leaves the tracked files as they were.
 */
export function docScreenshotPath(name: string): string {
  const dir = process.env[DOC_SCREENSHOTS_ENV] === '1' ? path.join(ROOT, 'docs/screenshots') : path.join(SCREENSHOTS, 'docs');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, name);
}
