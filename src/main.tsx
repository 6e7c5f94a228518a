// Entry point of the page: mounts the lab.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App.tsx';
import './ui/styles.css';
import { loseDevice } from './ui/runner.ts';
import { installUrlState } from './ui/url-sync.ts';

// ?debug exposes what a teacher or a test needs to show recovery: a simulated GPU reset.
if (new URLSearchParams(location.search).has('debug')) (window as unknown as { eacDebug: unknown }).eacDebug = { loseDevice };

// The run settings live in the URL too: a link (or its QR code) opens the lab with them ready.
installUrlState();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
