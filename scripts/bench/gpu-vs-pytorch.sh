#!/usr/bin/env bash
# The lab's WebGPU step against PyTorch CUDA on the same machine, for the first machine with a GPU:
#   bash scripts/bench/gpu-vs-pytorch.sh [resnet50|resnet18] [size] [batch]
# Runs, one after the other: `eac bench --backend webgpu` on the system's Vulkan driver (Dawn),
# with the step program (replayed) and without (--no-replay), then tools/bench/torch_step.py on
# CUDA in fp32 with TF32 off and on. Needs Node's deps (npm ci), a Vulkan driver for the GPU, and a
# PyTorch with CUDA (Debian's python3-torch is CPU-only: use any CUDA build; PYTHON=… picks it).
set -euo pipefail
cd "$(dirname "$0")/../.."
ARCH=${1:-resnet50}
SIZE=${2:-224}
BATCH=${3:-32}
PYTHON=${PYTHON:-python3}
OUT=${OUT:-.tmp/gpu-vs-pytorch}
mkdir -p "$OUT"
export EAC_SYSTEM_VULKAN=1
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>/dev/null || true
node bin/eac.js bench --backend webgpu --arch "$ARCH" --size "$SIZE" --batch-size "$BATCH" --warmup 3 --steps 10 --json --out "$OUT/webgpu-replay.json"
node bin/eac.js bench --backend webgpu --arch "$ARCH" --size "$SIZE" --batch-size "$BATCH" --warmup 2 --steps 5 --no-replay --json --out "$OUT/webgpu-ops.json"
for tf32 in off on; do
  "$PYTHON" tools/bench/torch_step.py --device cuda --tf32 "$tf32" --arch "$ARCH" --size "$SIZE" --batch-size "$BATCH" --warmup 3 --steps 10 > "$OUT/pytorch-cuda-tf32-$tf32.json"
done
node -e '
const fs = require("fs"); const d = process.argv[1];
const r = (f) => JSON.parse(fs.readFileSync(`${d}/${f}`, "utf8"));
const rows = [["webgpu, step program", r("webgpu-replay.json")], ["webgpu, tfjs ops", r("webgpu-ops.json")],
  ["pytorch cuda fp32", r("pytorch-cuda-tf32-off.json")], ["pytorch cuda tf32", r("pytorch-cuda-tf32-on.json")]];
for (const [name, x] of rows) console.log(`${name.padEnd(22)} ${x.msPerStep.toFixed(1).padStart(8)} ms/step ${x.imagesPerSecond.toFixed(1).padStart(8)} img/s` + (x.median ? `  JavaScript ${x.median.encodeMs.toFixed(1)} ms` : ""));
' "$OUT"
