// Which GPUs are emulated on the CPU, by the adapter (WebGPU) or renderer (WebGL) description the
// backend reports: the probe never trains on them unless asked, and the page asks before a heavy
// run does. Pure: the page imports it without TensorFlow.js.

/** Adapter names of GPUs emulated on the CPU (WebGPU's fallback adapters, ANGLE's and Mesa's software renderers). */
const SOFTWARE_ADAPTER = /swiftshader|llvmpipe|softpipe|lavapipe|software (fallback )?adapter|microsoft basic render|software rasterizer/i;

/** Whether a GPU adapter (WebGPU) or renderer (WebGL) description names a software GPU. */
export function isSoftwareAdapter(description: string | null): boolean {
  return description !== null && SOFTWARE_ADAPTER.test(description);
}
