// PyTorch ↔ engine tensor layouts: conv weights OIHW ↔ HWIO, fc.weight [out, in] ↔ [in, out].
// Everything else (BatchNorm vectors, biases) is the same in both.

/** OIHW (PyTorch) → HWIO (tfjs). */
function oihwToHwio(src: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [o, i, h, w] = shape;
  const out = new Float32Array(src.length);
  for (let a = 0; a < o; a++)
    for (let b = 0; b < i; b++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((y * w + x) * i + b) * o + a] = src[((a * i + b) * h + y) * w + x];
  return { data: out, shape: [h, w, i, o] };
}

/** HWIO (tfjs) → OIHW (PyTorch). */
function hwioToOihw(src: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [h, w, i, o] = shape;
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let b = 0; b < i; b++) for (let a = 0; a < o; a++) out[((a * i + b) * h + y) * w + x] = src[((y * w + x) * i + b) * o + a];
  return { data: out, shape: [o, i, h, w] };
}

/** Transposes a row-major [rows, cols] matrix. */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c];
  return out;
}

/** Whether a model tensor (by its state_dict key) has another layout in the engine (conv weights, fc.weight). */
export function layoutDiffers(name: string, shape: number[]): boolean {
  return shape.length === 4 || (name.endsWith('fc.weight') && shape.length === 2);
}

/** A PyTorch-layout tensor of the model (by its state_dict key) in engine layout. */
export function torchToEngine(name: string, data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  if (!layoutDiffers(name, shape)) return { data, shape };
  if (shape.length === 4) return oihwToHwio(data, shape);
  return { data: transpose2d(data, shape[0], shape[1]), shape: [shape[1], shape[0]] };
}

/** An engine-layout tensor in PyTorch layout. */
export function engineToTorch(name: string, data: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  if (!layoutDiffers(name, shape)) return { data, shape };
  if (shape.length === 4) return hwioToOihw(data, shape);
  return { data: transpose2d(data, shape[0], shape[1]), shape: [shape[1], shape[0]] };
}

/** NCHW → NHWC for inputs and maps. */
export function nchwToNhwc(src: Float32Array, shape: number[]): { data: Float32Array; shape: number[] } {
  const [n, c, h, w] = shape;
  const out = new Float32Array(src.length);
  for (let a = 0; a < n; a++)
    for (let b = 0; b < c; b++)
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) out[((a * h + y) * w + x) * c + b] = src[((a * c + b) * h + y) * w + x];
  return { data: out, shape: [n, h, w, c] };
}
