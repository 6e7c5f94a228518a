// Entry point of the page: mounts the lab.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import './ui/styles.css';
import { createLab } from './ui/lab.ts';
import { LabProvider } from './ui/lab-context.tsx';

// The page's one lab: every controller is made here, once, and handed down (src/ui/lab.ts).
const lab = createLab();

// ?debug hooks (a simulated GPU reset) exist in the dev server and test builds only: a production
// build folds this condition to false and leaves the module out.
if (import.meta.env.DEV || import.meta.env.MODE === 'test')
  void import('./ui/debug-hooks.ts').then(
    (m) => m.installDebugHooks(lab.run),
    (e: unknown) => console.warn('[eac] could not load the debug hooks', e),
  );

// The run settings live in the URL too: a link (or its QR code) opens the lab with them ready.
lab.url.install();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <LabProvider lab={lab}>
      <App />
    </LabProvider>
  </StrictMode>,
);
