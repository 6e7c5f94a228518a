// A stored run's training labels as a `name label` file (labels 1..K, RAF-DB's format, as
// `eac dataset labels` writes): the labels it trained on, its seeded noise applied, so that a
// noisy label set made in the page can be shared and trained on again, here or with eac --labels.
import { labelFileText } from '../../data/label-files.ts';
import { getRun } from '../../storage/run-store.ts';
import type { LabelsExportMessage } from '../protocol.ts';
import type { RunDataLoader } from './run-data.ts';
import { errorText } from './run-errors.ts';

export async function exportRunLabels(runKey: string, data: Pick<RunDataLoader, 'load'>): Promise<LabelsExportMessage> {
  const fileName = `eac-${runKey}-labels.txt`;
  try {
    const record = await getRun(runKey);
    if (!record) throw new Error('this run is not in the run store any more');
    const { dataset } = await data.load(record.request.data, () => undefined);
    return { type: 'labels-export', runKey, fileName, text: labelFileText(dataset.train), error: null };
  } catch (e) {
    return { type: 'labels-export', runKey, fileName, text: null, error: errorText(e) };
  }
}
