// The reference the fused WebGPU kernels replaced: WebGPU's kernel row with every fused
// implementation swapped for the stock-op one (the implementations the other backends ship).
// Tests only: the product runs exactly one row per backend (src/engine/kernel-table.ts).
import { kernelsFor, type Kernels } from '../../src/engine/kernel-table.ts';

export function stockOpsRow(backend: string): Kernels {
  return { ...kernelsFor(backend), windowReads: 'slices', splitKSum: 'tf-sum', bnRelu: 'ops', runningStats: 'ops', adam: 'flat-ops' };
}
