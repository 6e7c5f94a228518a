// Versions the page knows by itself, for run exports: the lab's (package.json) and the
// TensorFlow.js it was built with. Only tfjs-core's version module is imported (one constant):
// the page never loads TensorFlow.js itself, the training worker does.
import { version as appVersion } from '../../../package.json';
import { version as tfjsCoreVersion } from '@tensorflow/tfjs-core/dist/version.js';

const PAGE_VERSIONS: Readonly<Record<string, string>> = {
  app: appVersion,
  'tfjs-core': tfjsCoreVersion,
};

/** The page's versions, overridden by what the worker reports about the tfjs it runs (if it does). */
export function mergeVersions(fromWorker: Record<string, string> | null | undefined): Record<string, string> {
  const out: Record<string, string> = { ...PAGE_VERSIONS };
  if (fromWorker && typeof fromWorker === 'object') {
    for (const [k, v] of Object.entries(fromWorker)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}
