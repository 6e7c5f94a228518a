#!/bin/bash
# The paper's RAF-DB table with 3 seeds (2 methods × 4 noise rates × 3 seeds = 24 cells) as a
# SLURM array: one task per cell, one GPU per task, every task writing one shared sweep folder.
#
#   sbatch docs/cluster/slurm-sweep.sh          (from the lab's checkout, on a shared file system)
#   eac sweep --status --out "$SWEEP"           (the queue: cells, holders, progress, ETA)
#   cat "$SWEEP/table.md"                       (the table, rebuilt as each cell ends)
#
# Each task runs `eac sweep --cell env`: the cell of index $SLURM_ARRAY_TASK_ID (0-based, hence
# --array=0-23), claimed in $SWEEP/claims/. A task that dies (node lost, time limit, preemption)
# leaves its cell's checkpoint; the requeued task (or any task done with its own cell) takes the
# cell over once its lease ends (--lease-s) and resumes it from the checkpoint.
#SBATCH --job-name=eac-sweep
#SBATCH --array=0-23
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --mem=32G
#SBATCH --time=04:00:00
#SBATCH --requeue
#SBATCH --signal=B:TERM@120
#SBATCH --output=eac-sweep-%A_%a.log
set -euo pipefail

# A folder every node sees (NFS, Lustre, GPFS, BeeGFS): the sweep's queue, runs and tables.
SWEEP=${SWEEP:-$HOME/eac-sweeps/rafdb-r50}
DATA=${DATA:-$HOME/data/RAF-DB/basic}
WEIGHTS=${WEIGHTS:-$HOME/weights/resnet50_ms1m.safetensors}

# Every task gives the same settings: the first to start writes sweep.json, the others check
# theirs against it (a task with other settings is refused with one line naming the flag).
# `exec`: SLURM's SIGTERM (preemption, --signal above) reaches eac, which stops after the current
# step, keeps the checkpoint and releases the claim, so the requeued task resumes at once.
exec npx eac sweep --cell env --out "$SWEEP" \
  --data "$DATA" --weights "$WEIGHTS" --arch resnet50 --size 224 --epochs 60 --batch-size 64 \
  --methods baseline,eac --noise 0,0.1,0.2,0.3 --seeds 0,1,2 \
  --backend webgpu --checkpoint-every-s 600 --lease-s 300
