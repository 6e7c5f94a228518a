// WGSL programs for tfjs-backend-webgpu's program interface (`backend.runWebGPUProgram`): plain
// objects with the fields the backend reads (variableNames, outputShape, dispatch layout,
// workgroup size, extra uniforms, getUserCode). The backend prepends the bindings (`result` for
// the output, one read-only array per variable name, `uniforms`) and helpers such as
// setOutputAtIndex. Why hand-written programs: a training BatchNorm as stock tfjs ops is ~10
// kernels forward and ~14 backward, each a full pass over the activation; fused, the forward is
// two per-channel reductions and one pass, the backward one reduction and one pass, with the
// ReLU (and the residual add) folded into those passes.
//
// Tensors are read as [M, C] (NHWC flattened: channel = index mod C). Reductions give a
// workgroup 16 channels × 16 row lanes, each lane summing its rows in blocks of 256 (a partial
// sum per block keeps float32 rounding close to a tree's), then a tree over the 16 lanes.

export interface WebGpuProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  size?: boolean;
  getUserCode: () => string;
}

const BN_EPS_WGSL = '1e-5';
const LANES = 16;

/** Sums `term` (an f32 expression of row r and channel c) over the rows of each channel column. */
function columnSum(name: string, term: string): string {
  return `
    fn ${name}(c : i32, valid : bool) -> f32 {
      var total = 0.0;
      if (valid) {
        var block = 0.0;
        var n = 0;
        for (var r = i32(localId.y); r < uniforms.rows; r = r + ${LANES}) {
          block = block + (${term});
          n = n + 1;
          if (n == 256) {
            total = total + block;
            block = 0.0;
            n = 0;
          }
        }
        total = total + block;
      }
      return total;
    }`;
}

/** Tree over the 16 row lanes of the workgroup; every invocation gets its column's total. */
const laneTree = `
  var<workgroup> lanes : array<f32, ${LANES * LANES}>;
  fn laneTotal(v : f32) -> f32 {
    let lx = localId.x;
    let ly = localId.y;
    lanes[ly * ${LANES}u + lx] = v;
    workgroupBarrier();
    for (var k = ${LANES / 2}u; k > 0u; k = k / 2u) {
      if (ly < k) {
        lanes[ly * ${LANES}u + lx] = lanes[ly * ${LANES}u + lx] + lanes[(ly + k) * ${LANES}u + lx];
      }
      workgroupBarrier();
    }
    let t = lanes[lx];
    workgroupBarrier();
    return t;
  }`;

function reduction(shaderKey: string, variableNames: string[], channels: number, body: string): WebGpuProgram {
  return {
    variableNames,
    outputShape: [channels],
    shaderKey,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(channels / LANES), 1, 1],
    workgroupSize: [LANES, LANES, 1],
    uniforms: 'rows : i32, channels : i32,',
    getUserCode: () => body,
  };
}

const channelOf = `let c = i32(workgroupId.x) * ${LANES} + i32(localId.x);
      let valid = c < uniforms.channels;`;

/** mean[c] = Σ x / M (tf.mean's sum-then-divide). */
export function bnMeanProgram(channels: number): WebGpuProgram {
  return reduction(
    'eac_bn_mean',
    ['x'],
    channels,
    `${laneTree}
    ${columnSum('sumX', 'x[r * uniforms.channels + c]')}
    ${'fn main(index : i32)'} {
      ${channelOf}
      let mean = laneTotal(sumX(c, valid)) / f32(uniforms.rows);
      if (localId.y == 0u && valid) { setOutputAtIndex(c, mean); }
    }`,
  );
}

/** Biased variance[c] = Σ (x − mean)² / M, two-pass as the unfused ops (mean first). */
export function bnVarianceProgram(channels: number): WebGpuProgram {
  return reduction(
    'eac_bn_var',
    ['x', 'mean'],
    channels,
    `${laneTree}
    ${columnSum('sumSq', '(x[r * uniforms.channels + c] - mean[c]) * (x[r * uniforms.channels + c] - mean[c])')}
    fn main(index : i32) {
      ${channelOf}
      let v = laneTotal(sumSq(c, valid)) / f32(uniforms.rows);
      if (localId.y == 0u && valid) { setOutputAtIndex(c, v); }
    }`,
  );
}

function elementwise(shaderKey: string, variableNames: string[], shape: number[], body: string, uniforms?: string): WebGpuProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  const wg = 128;
  return {
    variableNames,
    outputShape: shape,
    shaderKey,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(size / wg), 1, 1],
    workgroupSize: [wg, 1, 1],
    size: true,
    ...(uniforms ? { uniforms } : {}),
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.size) {
        ${body}
      }
    }`,
  };
}

/** The ReLU mask of the gradient g = dy·[y > 0] (tf.step: 1 where y > 0, NaN stays NaN). */
const maskedGradient = (mask: boolean) => (mask ? 'select(dy[i] * select(0.0, 1.0, y[i] > 0.0), y[i], isnan(y[i]))' : 'dy[i]');

/**
 * y = [relu]((x − μ)·(γ·rsqrt(σ² + ε)) + β [+ residual]): the unfused ops' formula, in their order.
 */
export function bnApplyProgram(shape: number[], relu: boolean, residual: boolean): WebGpuProgram {
  const names = ['x', 'mean', 'variance', 'gamma', 'beta', ...(residual ? ['residual'] : [])];
  return elementwise(
    `eac_bn_apply_${relu ? 'relu' : 'id'}_${residual ? 'res' : 'nores'}`,
    names,
    shape,
    `let c = index % uniforms.channels;
        let scale = gamma[c] * inverseSqrt(variance[c] + ${BN_EPS_WGSL});
        var v = (x[index] - mean[c]) * scale + beta[c];
        ${residual ? 'v = v + residual[index];' : ''}
        ${relu ? 'v = select(max(v, 0.0), v, isnan(v));' : ''}
        setOutputAtIndex(index, v);`,
    'channels : i32,',
  );
}

/**
 * Per channel: [Σ g, Σ g·(x − μ)·rsqrt(σ² + ε)] as one [2, C] tensor (dβ then dγ), with g the
 * incoming gradient, masked by the following ReLU when `mask` (y = that ReLU's output).
 */
export function bnGradReduceProgram(channels: number, mask: boolean): WebGpuProgram {
  const names = ['dy', ...(mask ? ['y'] : []), 'x', 'mean', 'variance'];
  const g = maskedGradient(mask).replaceAll('[i]', '[r * uniforms.channels + c]');
  const p = {
    ...reduction(
      `eac_bn_grad_reduce_${mask ? 'mask' : 'nomask'}`,
      names,
      channels,
      `${laneTree}
    ${columnSum('sumG', g)}
    ${columnSum('sumGX', `(${g}) * (x[r * uniforms.channels + c] - mean[c])`)}
    fn main(index : i32) {
      ${channelOf}
      let dBeta = laneTotal(sumG(c, valid));
      let dGamma = laneTotal(sumGX(c, valid)) * inverseSqrt(variance[c] + ${BN_EPS_WGSL});
      if (localId.y == 0u && valid) {
        setOutputAtIndex(c, dBeta);
        setOutputAtIndex(uniforms.channels + c, dGamma);
      }
    }`,
    ),
    outputShape: [2, channels],
  };
  return p;
}

/**
 * dx = (g − dβ/M − (x − μ)·(rsqrt(σ² + ε)·dγ/M))·(γ·rsqrt(σ² + ε)), the unfused backward's
 * formula in its order; `grads` is the [2, C] output of bnGradReduceProgram.
 */
export function bnGradInputProgram(shape: number[], mask: boolean): WebGpuProgram {
  const names = ['dy', ...(mask ? ['y'] : []), 'x', 'mean', 'variance', 'gamma', 'grads'];
  return elementwise(
    `eac_bn_grad_input_${mask ? 'mask' : 'nomask'}`,
    names,
    shape,
    `let i = index;
        let c = index % uniforms.channels;
        let invStd = inverseSqrt(variance[c] + ${BN_EPS_WGSL});
        let invM = uniforms.invM;
        let k = (invStd * grads[uniforms.channels + c]) * invM;
        let inner = ((${maskedGradient(mask)}) - grads[c] * invM) - (x[index] - mean[c]) * k;
        setOutputAtIndex(index, inner * (gamma[c] * invStd));`,
    'channels : i32, invM : f32,',
  );
}

/** a + dy·[y > 0]: a residual block's input gradient (main path plus the masked identity shortcut). */
export function addMaskedProgram(shape: number[]): WebGpuProgram {
  return elementwise(
    'eac_add_masked',
    ['a', 'dy', 'y'],
    shape,
    `let i = index;\n        setOutputAtIndex(index, a[index] + ${maskedGradient(true)});`,
  );
}

/**
 * running·keep + (batch·correction)·momentum, applied for each batch in turn (the two passes of an
 * EAC step): PyTorch's running-statistics update, its rounding order, one pass for all batches.
 */
export function runningStatProgram(channels: number, batches: number): WebGpuProgram {
  const names = ['running', ...Array.from({ length: batches }, (_, k) => `batch${k}`)];
  const steps = names
    .slice(1)
    .map((b) => `v = v * uniforms.keep + (${b}[index] * uniforms.correction) * uniforms.momentum;`)
    .join('\n        ');
  return elementwise(
    `eac_running_stat_${batches}`,
    names,
    [channels],
    `var v = running[index];
        ${steps}
        setOutputAtIndex(index, v);`,
    'keep : f32, correction : f32, momentum : f32,',
  );
}

/**
 * Σ over the leading axis of [S, n] in one pass (s in order): the split-K matmul's partial sums.
 * tf.sum over axis 0 is a transpose (the reduced axis last) and a reduction: two dispatches.
 */
export function sumLeadingProgram(n: number): WebGpuProgram {
  return elementwise(
    'eac_sum_leading',
    ['x'],
    [n],
    `var total = 0.0;
        for (var s = 0; s < uniforms.xShape[0]; s = s + 1) {
          total = total + x[s * uniforms.size + index];
        }
        setOutputAtIndex(index, total);`,
  );
}

/**
 * Convolution patches read in place: out[b, r, q, (t, c)] = x[b0 + b, i − pad + s·r, j − pad + s·q, c]
 * for the taps (i, j) = (i0 + t / tapCols, j0 + t mod tapCols), zero outside x. One tap (the
 * per-tap filter gradient) or all taps of a batch chunk (im2col) in one dispatch, where the stock
 * ops pad x and cut each tap with up to three slices, then concatenate.
 */
export function convPatchesProgram(outShape: number[]): WebGpuProgram {
  return elementwise(
    'eac_conv_patches',
    ['x'],
    outShape,
    `let o = getCoordsFromIndex(index);
        let c = o[3] % uniforms.xShape[3];
        let t = o[3] / uniforms.xShape[3];
        let h = uniforms.i0 + t / uniforms.tapCols - uniforms.pad + uniforms.stride * o[1];
        let w = uniforms.j0 + t % uniforms.tapCols - uniforms.pad + uniforms.stride * o[2];
        var v = 0.0;
        if (h >= 0 && h < uniforms.xShape[1] && w >= 0 && w < uniforms.xShape[2]) {
          v = x[((uniforms.b0 + o[0]) * uniforms.xShape[1] + h) * uniforms.xShape[2] * uniforms.xShape[3] + w * uniforms.xShape[3] + c];
        }
        setOutputAtIndex(index, v);`,
    'b0 : i32, i0 : i32, j0 : i32, tapCols : i32, stride : i32, pad : i32,',
  );
}

/**
 * Adam over all parameters at once (torch.optim.Adam, weight decay coupled into the gradient, its
 * order of operations and rounding, as the unfused ops in optim.ts): one thread per parameter
 * value writes [p'; m'; v'] packed in one output of 3·n, since a program has one output.
 */
export function adamProgram(n: number, weightDecay: boolean): WebGpuProgram {
  const wg = 128;
  return {
    variableNames: ['p', 'g', 'm', 'v', 'scalars'],
    outputShape: [3 * n],
    shaderKey: `eac_adam_${weightDecay}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(n / wg), 1, 1],
    workgroupSize: [wg, 1, 1],
    uniforms: 'n : i32, wd : f32, b1 : f32, oneMinusB1 : f32, b2 : f32, oneMinusB2 : f32, eps : f32,',
    getUserCode: () => `
    fn main(index : i32) {
      if (index < uniforms.n) {
        let pv = p[index];
        let gr = ${weightDecay ? 'g[index] + pv * uniforms.wd' : 'g[index]'};
        let mn = m[index] * uniforms.b1 + gr * uniforms.oneMinusB1;
        let vn = v[index] * uniforms.b2 + (gr * gr) * uniforms.oneMinusB2;
        let denom = sqrt(vn) / scalars[0] + uniforms.eps;
        setOutputAtIndex(index, pv - (mn / denom) * scalars[1]);
        setOutputAtIndex(uniforms.n + index, mn);
        setOutputAtIndex(2 * uniforms.n + index, vn);
      }
    }`,
  };
}
