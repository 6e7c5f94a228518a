// Entry point of the page: mounts the lab.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import './ui/styles.css';
import { installUrlState } from './ui/url-sync.ts';

// ?debug hooks (a simulated GPU reset) exist in the dev server and test builds only: a production
// build folds this condition to false and leaves the module out.
if (import.meta.env.DEV || import.meta.env.MODE === 'test') void import('./ui/debug-hooks.ts').then((m) => m.installDebugHooks());

// The run settings live in the URL too: a link (or its QR code) opens the lab with them ready.
installUrlState();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
