import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const page = (name: string) => fileURLToPath(new URL(name, import.meta.url));

// The lab is a static app: the dev server and `vite build` serve index.html,
// and training runs in a module worker (workers/), bundled by Vite.
export default defineConfig({
  plugins: [react()],
  worker: { format: 'es' },
  // Scan the workers' imports at start-up too, so the first `npm start` does not reload the page.
  optimizeDeps: { entries: ['index.html', 'bench.html', 'workers/**/*.ts'] },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 4000,
    // The lab, and the training-step benchmark page (bench.html).
    rollupOptions: { input: { main: page('index.html'), bench: page('bench.html') } },
  },
});
