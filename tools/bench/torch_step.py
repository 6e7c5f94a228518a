#!/usr/bin/python3
"""PyTorch timing of the same EAC training step the lab runs (for `scripts/bench/all.mjs` and
`scripts/bench/gpu-vs-pytorch.sh`), on the CPU or on a CUDA GPU (fp32; --tf32 on lets matmuls and
convolutions use TF32, PyTorch's default for convolutions on Ampere and later).

Two training-mode passes, CE on view 1 + lam * MSE of the maps, backward, Adam (coupled weight
decay). Uses the model and loss of tools/golden/generate.py. Prints one JSON line.
Run with Debian's python3-torch: /usr/bin/python3 tools/bench/torch_step.py --arch resnet18 --size 112
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "golden"))
import torch  # noqa: E402
import generate as g  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arch", default="resnet50", choices=["resnet50", "resnet18"])
    ap.add_argument("--width", type=int, default=64)
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count(), help="torch threads (default: all cores)")
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--tf32", default="off", choices=["off", "on"], help="CUDA: TF32 for matmuls and convolutions")
    a = ap.parse_args()
    if a.device == "cuda":
        if not torch.cuda.is_available():
            sys.exit("torch_step.py: --device cuda, but this PyTorch sees no CUDA device")
        torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
        torch.backends.cudnn.allow_tf32 = a.tf32 == "on"
        torch.backends.cudnn.benchmark = True
    dev = torch.device(a.device)
    torch.set_num_threads(a.threads)  # generate.py pins 1 thread for its fixtures
    torch.manual_seed(0)
    model = g.EACResNet(a.arch, a.width).float().train().to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-4, weight_decay=1e-4)
    x1 = torch.randn(a.batch_size, 3, a.size, a.size).to(dev)
    x2 = torch.flip(x1, dims=[3])
    labels = (torch.arange(a.batch_size) % 7).to(dev)
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        logits1, hm1, _ = model(x1)
        _, hm2, _ = model(x2)
        loss = torch.nn.functional.cross_entropy(logits1, labels) + 5 * torch.nn.functional.mse_loss(hm1, torch.flip(hm2, dims=[3]))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()  # waits for the device
        ms = (time.perf_counter() - t0) * 1000
        if i >= a.warmup:
            times.append(ms)
        print(f"{'warm-up' if i < a.warmup else 'step'} {ms:.1f} ms", file=sys.stderr)
    times.sort()
    ms = times[len(times) // 2]
    print(json.dumps({"arch": a.arch, "width": a.width, "size": a.size, "batchSize": a.batch_size, "backend": f"pytorch-{a.device}",
                      "tf32": a.tf32 == "on" if a.device == "cuda" else None,
                      "gpu": torch.cuda.get_device_name(0) if a.device == "cuda" else None,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "msPerStep": ms,
                      "imagesPerSecond": a.batch_size * 1000 / ms}))


if __name__ == "__main__":
    main()
