// The step's programs grouped by what they do, for GPU-time profiles (`eac bench --gpu-profile`).
// By program name: tfjs's classes and the fused kernels' shader keys (src/engine/fused/).

const KERNEL_CLASSES = [
  'conv forward (k×k)',
  'conv input gradient (k×k)',
  'matmul (1×1 convs, filter gradients, head)',
  'filter-gradient patches and split sums',
  'BatchNorm (+ residual, ReLU mask, running stats)',
  'Adam',
  'data movement (slice, concat, pad, reverse)',
  'element-wise and small reductions',
] as const;
type KernelClass = (typeof KERNEL_CLASSES)[number];

export function kernelClass(program: string): KernelClass {
  if (program.startsWith('Conv2DDerInput')) return 'conv input gradient (k×k)';
  if (program.startsWith('Conv2D')) return 'conv forward (k×k)';
  if (program.startsWith('MatMul')) return 'matmul (1×1 convs, filter gradients, head)';
  if (program.startsWith('eac_conv_patches') || program.startsWith('eac_sum_leading')) return 'filter-gradient patches and split sums';
  if (program.startsWith('eac_adam')) return 'Adam';
  if (program.startsWith('eac_')) return 'BatchNorm (+ residual, ReLU mask, running stats)';
  if (/^(Slice|Concat|Pad|Reverse|Transpose|Tile|Gather)/.test(program)) return 'data movement (slice, concat, pad, reverse)';
  return 'element-wise and small reductions';
}

export interface ClassTime {
  kernelClass: KernelClass;
  dispatches: number;
  ms: number;
}

/** Per-dispatch GPU times summed by class, in KERNEL_CLASSES order (classes with no dispatch left out). */
export function timeByClass(profile: { name: string; ns: number }[]): ClassTime[] {
  const sums = new Map<KernelClass, ClassTime>();
  for (const p of profile) {
    const k = kernelClass(p.name);
    const s = sums.get(k) ?? { kernelClass: k, dispatches: 0, ms: 0 };
    s.dispatches++;
    s.ms += p.ns / 1e6;
    sums.set(k, s);
  }
  return KERNEL_CLASSES.filter((k) => sums.has(k)).map((k) => sums.get(k)!);
}
