// A stored run's model, as the safetensors file the page downloads: the weights of its last
// checkpoint with the official EAC key names.
import { exportModelSafetensors } from '../../weights/export.ts';
import { getRun, loadCheckpoint } from '../../storage/run-store.ts';
import type { ModelExportMessage } from '../protocol.ts';
import { errorText } from './run-errors.ts';
import { classesOf } from '../../engine/dataset.ts';

export async function exportStoredModel(runKey: string): Promise<ModelExportMessage> {
  const fileName = `eac-${runKey}.safetensors`;
  try {
    const [record, ckpt] = await Promise.all([getRun(runKey), loadCheckpoint(runKey)]);
    if (!record || !ckpt) throw new Error('this run has no stored checkpoint to export yet (one is written at the end of every epoch)');
    const { arch, width } = ckpt.config;
    const bytes = exportModelSafetensors(
      arch,
      width,
      ckpt.values,
      { epoch: String(ckpt.epoch), run: record.name, classes: JSON.stringify(classesOf(ckpt)) },
      ckpt.config.layout ?? 'caffe',
    );
    return { type: 'model-export', runKey, fileName, bytes, error: null };
  } catch (e) {
    return { type: 'model-export', runKey, fileName, bytes: null, error: errorText(e) };
  }
}
