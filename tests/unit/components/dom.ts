// A browser-like global scope for component tests (happy-dom): imported first by each
// tests/unit/components/*.test.tsx, before React and testing-library look for `document`.
import { GlobalRegistrator } from '@happy-dom/global-registrator';

if (!GlobalRegistrator.isRegistered) GlobalRegistrator.register({ url: 'http://localhost:5173/' });
// React's act() environment: state updates inside act() are flushed before it returns.
(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
