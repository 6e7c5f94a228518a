import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

// Cross-origin isolation: without it a page gets no SharedArrayBuffer, and TensorFlow.js's
// WebAssembly backend runs on one thread. Everything the lab loads is its own origin, so
// require-corp costs nothing. A static host must send the same two headers (README).
const crossOriginIsolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// The lab is a static app: the dev server and `vite build` serve index.html,
// and training runs in a module worker (workers/), bundled by Vite.
export default defineConfig({
  plugins: [react()],
  worker: {
    format: 'es',
    // Unminified workers: tfjs-wasm starts its threads from the source text of its own module
    // factory (Function.prototype.toString); minified, that text names variables that exist only
    // in the bundle, and every thread dies with "e is not defined".
    rolldownOptions: { output: { minify: false } },
  },
  // Scan the workers' imports at start-up too, so the first `npm start` does not reload the page.
  optimizeDeps: { entries: ['index.html', 'bench.html', 'workers/**/*.ts'] },
  server: { host: '127.0.0.1', port: 5173, strictPort: false, headers: crossOriginIsolation },
  preview: { host: '127.0.0.1', port: 4173, headers: crossOriginIsolation },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4000,
    // The lab, and the training-step benchmark page (bench.html).
    rollupOptions: { input: { main: page('index.html'), bench: page('bench.html') } },
  },
});
