// Vite's client types (`?url` imports, import.meta.env) for the worker, the page and test pages.
/// <reference types="vite/client" />
