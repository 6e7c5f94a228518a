// The `eac` command line: the lab's engine, headless. Results as JSON on stdout (--json) or in a
// file (--out); progress on stderr; a non-zero exit code with a one-line reason on any error.
import { trainCommand, TRAIN_HELP } from './train.ts';
import { sweepCommand, SWEEP_HELP } from './sweep.ts';
import { evalCommand, EVAL_HELP } from './eval.ts';
import { benchCommand, BENCH_HELP } from './bench.ts';
import { weightsCommand, WEIGHTS_HELP } from './weights.ts';
import { datasetCommand, DATASET_HELP } from './dataset.ts';
import { datasetLabelsCommand } from './dataset-labels.ts';
import { UsageError } from './args.ts';
import { printable } from './output.ts';
import { isOutOfMemory, OOM_PREFIX, oomAdvice, type OomShape } from './memory.ts';

const HELP = `eac: the EAC lab's engine on the command line

${TRAIN_HELP}

${SWEEP_HELP}

${EVAL_HELP}

${BENCH_HELP}

${WEIGHTS_HELP}

${DATASET_HELP}
`;

/**
 * Backend failures that mean "out of memory" say so, with what to do about it: with the step's
 * shape known (eac train), advice that fits it (at batch 1, a smaller batch cannot help).
 */
export function explainError(msg: string, shape: OomShape | null = null): string {
  if (msg.startsWith(OOM_PREFIX) || !isOutOfMemory(msg)) return msg;
  return `${OOM_PREFIX} (${msg}): ${oomAdvice(shape)}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'train':
        return await trainCommand(rest);
      case 'sweep':
        return await sweepCommand(rest);
      case 'eval':
        return await evalCommand(rest);
      case 'bench':
        return await benchCommand(rest);
      case 'weights':
        return await weightsCommand(rest);
      case 'dataset':
        // `labels` writes a label file (it loads any dataset as training does); the rest inspect.
        return rest[0] === 'labels' ? await datasetLabelsCommand(rest.slice(1)) : await datasetCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command ${JSON.stringify(command)} (try: eac help)`);
    }
  } catch (e) {
    // Our own refusals are one line by construction, but may quote a path from a file, which can
    // hold a newline or terminal control bytes: escaped, not cut. Another error's first line is its reason.
    const raw = (e as Error)?.message ?? String(e);
    const msg = e instanceof UsageError ? printable(raw, 2000) : explainError(printable(raw.split('\n')[0], 2000));
    process.stderr.write(`eac ${command ?? ''}: error: ${msg}\n`);
    if (process.env.EAC_DEBUG) console.error(e);
    return e instanceof UsageError ? 2 : 1;
  }
}
