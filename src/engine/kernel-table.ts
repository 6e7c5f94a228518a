// Which implementation of each layer runs on each backend, in one table. A host picks its row
// once, when it plans a step (`kernelsFor(tf.getBackend())`), and hands it down; layer code reads
// the row it is given and never asks which backend is active. docs/kernel-table.md shows this
// table (tests/unit/kernel-table.test.ts checks that it is the same one).
//
// Why the rows differ: WebGPU runs our fused WGSL programs (fused/) where a chain of stock ops
// would cost a dispatch each; wasm moves data slowly through tfjs's Slice and Gather, so window
// reads become row gathers (gather-windows.ts) and XNNPACK does what it does fast; cpu and webgl
// keep the plain stock-op formulas, whose values the golden tests pin.

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
type KernelBackend = (typeof BACKENDS)[number];

/** What each implementation is, for people (docs/kernel-table.md). */
export const IMPLEMENTATIONS = {
  convForward: {
    'tf-conv2d': "tfjs's Conv2D",
  },
  windowReads: {
    'patch-kernel': 'im2col patches read in place by one WGSL program per batch chunk (fused/programs.ts)',
    'row-gathers': 'row gathers on the wasm heap, one memmove per row (gather-windows.ts)',
    slices: 'strided slices of the zero-padded input, concatenated per kernel row',
  },
  filterGrad: {
    'gpu-matmuls': 'Xᵀ·dY matmuls planned for a GPU: the reduction split into S batched chunks (conv-plan.ts chooseSplit)',
    'cpu-matmuls': 'Xᵀ·dY matmuls planned for a CPU: no split, an explicit transpose instead of transposeA',
  },
  splitKSum: {
    'fused-sum': "one WGSL program sums the split's partial products",
    'tf-sum': "tfjs's Sum over the split axis",
  },
  inputGrad: {
    'conv2d-transpose': "tfjs's Conv2DBackpropInput (matmul-based on GPUs)",
    'forward-conv': 'a forward convolution of dY (dilated when strided) with the rotated filter',
    'patch-scatter': 'strided: dY·Wᵀ then col2im as row gathers; stride 1: a forward convolution',
  },
  reverseRows: {
    'tf-reverse': "tfjs's Reverse",
    'row-gather': 'a row gather (wasm copies Reverse element by element)',
  },
  bnRelu: {
    fused: 'BatchNorm (+ residual) (+ ReLU) forward and backward as WGSL programs: statistics, apply, gradient',
    ops: 'stock ops: x − μ and 1/σ kept, ReLU masked by its own op',
  },
  runningStats: {
    fused: "one WGSL program per statistic updates both passes' running averages",
    ops: "stock ops, PyTorch's formula, one pass after the other",
  },
  maxPool: {
    'window-views': 'the maximum of the k·k strided window views (ties to the first, as PyTorch)',
    xnnpack: "tfjs-wasm's MaxPool (XNNPACK); window views in ceil mode",
  },
  maxPoolGrad: {
    'phase-grids': "each tap's gradient routed to its first maximum on s×s phase grids, interleaved",
    'row-gathers': 'first-maximum routing as row gathers and scatters (gather-windows.ts)',
  },
  adam: {
    'fused-flat': 'one WGSL program over all parameters as one flat vector; the step scalars read from the device',
    'flat-ops': 'stock ops over all parameters as one flat vector (torch.optim.Adam foreach)',
    'per-parameter': 'stock ops one parameter at a time (wasm slices long vectors slowly)',
  },
} as const;

export type Layer = keyof typeof IMPLEMENTATIONS;
type Implementation<L extends Layer> = keyof (typeof IMPLEMENTATIONS)[L];

/** Layer × backend → implementation. */
export const KERNEL_TABLE: { readonly [L in Layer]: { readonly [B in KernelBackend]: Implementation<L> } } = {
  convForward: { webgpu: 'tf-conv2d', webgl: 'tf-conv2d', wasm: 'tf-conv2d', cpu: 'tf-conv2d' },
  windowReads: { webgpu: 'patch-kernel', webgl: 'slices', wasm: 'row-gathers', cpu: 'slices' },
  filterGrad: { webgpu: 'gpu-matmuls', webgl: 'gpu-matmuls', wasm: 'cpu-matmuls', cpu: 'cpu-matmuls' },
  splitKSum: { webgpu: 'fused-sum', webgl: 'tf-sum', wasm: 'tf-sum', cpu: 'tf-sum' },
  inputGrad: { webgpu: 'conv2d-transpose', webgl: 'conv2d-transpose', wasm: 'patch-scatter', cpu: 'forward-conv' },
  reverseRows: { webgpu: 'tf-reverse', webgl: 'tf-reverse', wasm: 'row-gather', cpu: 'tf-reverse' },
  bnRelu: { webgpu: 'fused', webgl: 'ops', wasm: 'ops', cpu: 'ops' },
  runningStats: { webgpu: 'fused', webgl: 'ops', wasm: 'ops', cpu: 'ops' },
  maxPool: { webgpu: 'window-views', webgl: 'window-views', wasm: 'xnnpack', cpu: 'window-views' },
  maxPoolGrad: { webgpu: 'phase-grids', webgl: 'phase-grids', wasm: 'row-gathers', cpu: 'phase-grids' },
  adam: { webgpu: 'fused-flat', webgl: 'flat-ops', wasm: 'per-parameter', cpu: 'per-parameter' },
};

/** One backend's row: the implementation of every layer. */
export type Kernels = { readonly backend: KernelBackend } & { readonly [L in Layer]: Implementation<L> };

function isKernelBackend(name: string): name is KernelBackend {
  return (BACKENDS as readonly string[]).includes(name);
}

/** The row of `backend` (tf.getBackend()'s name); an unknown backend is an error, not a guess. */
export function kernelsFor(backend: string): Kernels {
  if (!isKernelBackend(backend)) throw new Error(`no kernel table row for the '${backend}' backend (known: ${BACKENDS.join(', ')})`);
  const row: Record<string, string> = { backend };
  for (const layer of Object.keys(KERNEL_TABLE) as Layer[]) row[layer] = KERNEL_TABLE[layer][backend];
  return row as Kernels;
}

const LAYER_NAMES: { [L in Layer]: string } = {
  convForward: 'conv forward',
  windowReads: 'conv window reads (im2col)',
  filterGrad: 'conv filter gradient',
  splitKSum: 'split-K partial sum',
  inputGrad: 'conv input gradient',
  reverseRows: 'filter rotation (rows reversed)',
  bnRelu: 'BatchNorm + residual + ReLU',
  runningStats: 'BatchNorm running statistics',
  maxPool: 'max pool forward',
  maxPoolGrad: 'max pool backward',
  adam: 'Adam',
};

/** The table as Markdown: the layer × backend grid, then what each implementation is. */
export function kernelTableMarkdown(): string {
  const layers = Object.keys(KERNEL_TABLE) as Layer[];
  const lines = [`| layer | ${BACKENDS.join(' | ')} |`, `| --- | ${BACKENDS.map(() => '---').join(' | ')} |`];
  for (const l of layers) lines.push(`| ${LAYER_NAMES[l]} | ${BACKENDS.map((b) => `\`${String(KERNEL_TABLE[l][b])}\``).join(' | ')} |`);
  lines.push('', '| layer | implementation | what it is |', '| --- | --- | --- |');
  for (const l of layers)
    for (const [impl, what] of Object.entries(IMPLEMENTATIONS[l] as Record<string, string>))
      lines.push(`| ${LAYER_NAMES[l]} | \`${impl}\` | ${what} |`);
  return lines.join('\n');
}
