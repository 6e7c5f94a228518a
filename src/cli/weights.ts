// `eac weights inspect FILE`: what a weight file holds and how it maps onto the engine's models.
import { choice, parseWithPositionals, readFileBytes, UsageError } from './args.ts';
import { emitJson } from './output.ts';
import { ARCHS } from '../engine/resnet.ts';
import { inspectWeights } from '../weights/inspect.ts';

export const WEIGHTS_HELP = `eac weights inspect FILE [--json] [--stats] [--arch resnet18|resnet50] [--layout caffe|torchvision]
         FILE: a torch.save archive (.pth/.pt), a pickle of numpy arrays (.pkl) or a .safetensors file`;

export async function weightsCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(WEIGHTS_HELP + '\n');
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'inspect') throw new UsageError(`unknown weights command ${JSON.stringify(sub)} (try: eac weights inspect FILE)`);
  const { values: v, positionals } = parseWithPositionals(rest, {
    json: { type: 'boolean' },
    stats: { type: 'boolean' },
    arch: { type: 'string' },
    layout: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (positionals.length > 1) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[1])}`);
  const file = positionals[0];
  if (v.help) {
    process.stdout.write(WEIGHTS_HELP + '\n');
    return 0;
  }
  if (!file) throw new UsageError('weights inspect: FILE is required');
  let bytes: Uint8Array;
  try {
    bytes = readFileBytes(file);
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const r = inspectWeights(bytes, {
    fileName: file,
    stats: !!v.stats,
    arch: v.arch === undefined ? undefined : choice(v, 'arch', ARCHS, 'resnet50'),
    layout: v.layout === undefined ? undefined : choice(v, 'layout', ['caffe', 'torchvision'] as const, 'caffe'),
  });
  if (v.json) {
    emitJson(r, { json: true });
    return 0;
  }
  const lines = [
    `${file}: ${r.format}, ${r.tensors} tensors, ${r.parameters} values${r.path ? ` (under "${r.path}")` : ''}`,
    `arch: ${r.arch ?? 'unknown'}${r.width !== null ? `, width ${r.width}` : ''} (${r.archReason})`,
    `head: ${r.head ? `${r.head.classes} classes, ${r.head.action}` : 'none'}`,
    `missing: ${r.missing.length ? r.missing.join(', ') : 'none'}`,
    `unexpected: ${r.unexpected.length ? r.unexpected.join(', ') : 'none'}`,
    `mis-shaped: ${r.mismatched.length ? r.mismatched.map((m) => `${m.name} [${m.shape.join(', ')}] (expected [${m.expected.join(', ')}])`).join(', ') : 'none'}`,
    ...r.notes.map((n) => `note: ${n}`),
  ];
  if (r.stats)
    for (const s of r.stats)
      lines.push(
        `  ${s.name} ${s.dtype} [${s.shape.join(', ')}] mean ${fmt(s.mean)} std ${fmt(s.std)} min ${fmt(s.min)} max ${fmt(s.max)}`,
      );
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

const fmt = (x: number | null) => (x === null ? '-' : Number(x.toPrecision(6)).toString());
