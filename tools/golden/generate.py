#!/usr/bin/python3
"""Golden fixtures for the EAC lab's TypeScript engine.

Run with Debian's python, which has torch 1.13, PIL and numpy:

    /usr/bin/python3 tools/golden/generate.py [--out DIR]

Writes into tests/fixtures/golden/ (or DIR):
  resnet50.safetensors/.json  Caffe/VGGFace2 ResNet-50 layout, width 4, 72x72 input
  resnet18.safetensors/.json  torchvision ResNet-18 layout, width 4, 80x80 input
  resnet50-torchvision.safetensors/.json  torchvision ResNet-50 layout ("v1.5": stride on the
                              3x3 conv, max-pool pad 1 floor), width 2, 48x48 input
  adam.safetensors/.json      Adam with coupled (L2) weight decay in isolation + ExponentialLR
  pipeline.safetensors/.json  PIL bilinear resize, ToTensor+Normalize, add_g clipping, map flip

All model reference values are computed in float64 from float32-rounded parameters
and inputs, then saved as float32. The same model computation is then redone in float32
from the same parameters and inputs; each model's sidecar JSON (not the .safetensors
metadata) records PyTorch's own float32 error against the stored reference, per tensor
("torchF32RelError", "torchF32MaxRelError"), as a yardstick for the engine's tolerances.
Deterministic: fixed seeds, one CPU thread, no timestamps in the output. Self-contained:
no torchvision, no safetensors package.
"""

import argparse
import contextlib
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "golden")

NUM_CLASSES = 7
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
LAM = 5.0
BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8

# --------------------------------------------------------------------------------------
# safetensors writer (pure python)
# --------------------------------------------------------------------------------------

_DTYPES = {np.dtype(np.float32): "F32", np.dtype(np.uint8): "U8", np.dtype(np.int32): "I32"}


def to_f32(t):
    """A torch tensor / numpy array / python float as a C-order float32 numpy array."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    return np.array(t, dtype=np.float32, order="C")  # keeps 0-d arrays 0-d (ascontiguousarray would not)


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, numpy array) in file order; metadata: dict str->str."""
    header = {}
    blobs = []
    offset = 0
    seen = set()
    for name, arr in tensors:
        assert name not in seen and name != "__metadata__", name
        seen.add(name)
        arr = np.array(arr, order="C")
        if arr.dtype not in _DTYPES:
            raise TypeError(f"{name}: unsupported dtype {arr.dtype}")
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        data = arr.tobytes(order="C")
        # keep every tensor aligned to its element size so readers can view it in place
        assert offset % arr.dtype.itemsize == 0, (name, offset)
        header[name] = {
            "dtype": _DTYPES[np.dtype(arr.dtype.name)],
            "shape": [int(s) for s in arr.shape],
            "data_offsets": [offset, offset + len(data)],
        }
        blobs.append(data)
        offset += len(data)
    for k, v in metadata.items():
        assert isinstance(k, str) and isinstance(v, str)
    header["__metadata__"] = dict(metadata)
    hbytes = json.dumps(header, separators=(",", ":"), ensure_ascii=True).encode("utf-8")
    hbytes += b" " * ((-len(hbytes)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """Minimal reader, used only to self-check the writer."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    base = 8 + n
    inv = {"F32": "<f4", "U8": "u1", "I32": "<i4"}
    out = {}
    for name, h in header.items():
        b, e = h["data_offsets"]
        out[name] = np.frombuffer(raw[base + b : base + e], dtype=inv[h["dtype"]]).reshape(h["shape"])
    return out, meta


def write_fixture(out_dir, name, tensors, config, json_extra=None):
    """config goes into the .safetensors metadata and the sidecar JSON; json_extra (a dict,
    appended after config's keys) only into the sidecar JSON."""
    config = dict(config)
    st_path = os.path.join(out_dir, name + ".safetensors")
    write_safetensors(
        st_path,
        tensors,
        {"format": "pt", "generator": "tools/golden/generate.py", "config": json.dumps(config, sort_keys=True)},
    )
    sidecar = dict(config)
    for k, v in (json_extra or {}).items():
        assert k not in sidecar, k
        sidecar[k] = v
    with open(os.path.join(out_dir, name + ".json"), "w") as f:
        json.dump(sidecar, f, indent=1)
        f.write("\n")
    # read back and compare every tensor bit for bit
    back, meta = read_safetensors(st_path)
    assert list(back.keys()) == [n for n, _ in tensors]
    for n, a in tensors:
        assert back[n].shape == a.shape and back[n].dtype == a.dtype.newbyteorder("<"), n
        assert back[n].tobytes() == np.array(a, order="C").astype(a.dtype.newbyteorder("<")).tobytes(), n
    assert json.loads(meta["config"]) == json.loads(json.dumps(config))
    return st_path


# --------------------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------------------


class CaffeBottleneck(nn.Module):
    """VGGFace2 resnet50_ft Bottleneck: stride on the first 1x1 conv."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity)


class TorchvisionBottleneck(nn.Module):
    """torchvision's Bottleneck ("ResNet v1.5"): stride on the 3x3 conv."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return F.relu(out + identity)


class BasicBlock(nn.Module):
    """torchvision BasicBlock."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class EACResNet(nn.Module):
    """Backbone + new 7-way head, with the official EAC Model's forward.

    State-dict keys are the plain resnet ones (conv1.*, bn1.*, layerK.i.*, fc.*).
    """

    def __init__(self, arch, width):
        super().__init__()
        if arch == "resnet50":
            block, blocks, pool_pad, ceil = CaffeBottleneck, [3, 4, 6, 3], 0, True
        elif arch == "resnet50-torchvision":
            block, blocks, pool_pad, ceil = TorchvisionBottleneck, [3, 4, 6, 3], 1, False
        elif arch == "resnet18":
            block, blocks, pool_pad, ceil = BasicBlock, [2, 2, 2, 2], 1, False
        else:
            raise ValueError(arch)
        self.conv1 = nn.Conv2d(3, width, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=pool_pad, ceil_mode=ceil)
        self.inplanes = width
        for i, n in enumerate(blocks):
            planes = width * (2**i)
            stride = 1 if i == 0 else 2
            layers = []
            for j in range(n):
                s = stride if j == 0 else 1
                ds = None
                if s != 1 or self.inplanes != planes * block.expansion:
                    ds = nn.Sequential(
                        nn.Conv2d(self.inplanes, planes * block.expansion, 1, stride=s, bias=False),
                        nn.BatchNorm2d(planes * block.expansion, eps=BN_EPS, momentum=BN_MOMENTUM),
                    )
                layers.append(block(self.inplanes, planes, s, ds))
                self.inplanes = planes * block.expansion
            setattr(self, f"layer{i + 1}", nn.Sequential(*layers))
        self.feature_channels = self.inplanes
        self.fc = nn.Linear(self.inplanes, NUM_CLASSES)

    def features(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        return self.layer4(self.layer3(self.layer2(self.layer1(x))))

    def forward(self, x):
        f = self.features(x)
        pooled = f.mean(dim=(2, 3))
        logits = self.fc(pooled)
        w = self.fc.weight.detach()  # official: list(self.parameters())[-2].data
        hm = (f.unsqueeze(1) * w.view(1, NUM_CLASSES, -1, 1, 1)).sum(2)
        return logits, hm, pooled


def init_params(model, rng):
    """Official init, perturbed, rounded to float32 (values in float64 tensors)."""
    # The last BatchNorm of each residual branch (bn3 / bn2) gets a small weight, as trained
    # ResNets have: a deep narrow net with batch-4 BatchNorm at full branch scale is so badly
    # conditioned that float32 itself (PyTorch's too) loses most digits of its gradients.
    last_bn = {id(getattr(b, "bn3", None) or b.bn2) for layer in (model.layer1, model.layer2, model.layer3, model.layer4) for b in layer}
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, nn.Conv2d):
                n = mod.kernel_size[0] * mod.kernel_size[1] * mod.out_channels
                mod.weight.copy_(torch.from_numpy(rng.normal(0.0, math.sqrt(2.0 / n), mod.weight.shape)))
            elif isinstance(mod, nn.BatchNorm2d):
                c = mod.num_features
                scale = 0.25 if id(mod) in last_bn else 1.0
                mod.weight.copy_(torch.from_numpy(scale * (1.0 + 0.1 * rng.standard_normal(c))))
                mod.bias.copy_(torch.from_numpy(0.1 * rng.standard_normal(c)))
                mod.running_mean.copy_(torch.from_numpy(0.1 * rng.standard_normal(c)))
                mod.running_var.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, c)))
            elif isinstance(mod, nn.Linear):
                bound = 1.0 / math.sqrt(mod.in_features)
                mod.weight.copy_(torch.from_numpy(rng.uniform(-bound, bound, mod.weight.shape)))
                mod.bias.copy_(torch.from_numpy(rng.uniform(-bound, bound, mod.bias.shape)))
        for _, t in model.state_dict().items():
            if t.is_floating_point():
                t.copy_(t.float().double())


def param_keys(model):
    return [k for k, _ in model.named_parameters()]


def buffer_keys(model):
    return [k for k in model.state_dict().keys() if k.endswith("running_mean") or k.endswith("running_var")]


def snapshot(model, keys):
    sd = model.state_dict()
    return {k: sd[k].detach().clone() for k in keys}


# --------------------------------------------------------------------------------------
# EAC pieces
# --------------------------------------------------------------------------------------


def flip_grid(n, h, w, dtype=torch.float64):
    """The official generate_flip_grid, in `dtype`, already permuted to N×h×w×2."""
    x_ = torch.arange(w, dtype=dtype).view(1, -1).expand(h, -1)
    y_ = torch.arange(h, dtype=dtype).view(-1, 1).expand(-1, w)
    grid = torch.stack([x_, y_], dim=0).clone().unsqueeze(0)
    grid[:, 0, :, :] = 2 * grid[:, 0, :, :] / (w - 1) - 1
    grid[:, 1, :, :] = 2 * grid[:, 1, :, :] / (h - 1) - 1
    grid[:, 0, :, :] = -grid[:, 0, :, :]
    return grid.expand(n, -1, -1, -1).permute(0, 2, 3, 1)


def official_flip(hm):
    n, _, h, w = hm.shape
    return F.grid_sample(hm, flip_grid(n, h, w, hm.dtype), mode="bilinear", padding_mode="border", align_corners=True)


def flip_w(hm):
    out = torch.flip(hm, dims=[3])
    ref = official_flip(hm.detach())
    err = (out.detach() - ref).abs().max().item()
    assert err <= 1e-12, f"flip mismatch vs grid_sample: {err}"
    return out


def eac_loss(model, x1, x2, labels, lam):
    logits1, hm1, _ = model(x1)
    logits2, hm2, _ = model(x2)
    ce = F.cross_entropy(logits1, labels)
    cons = F.mse_loss(hm1, flip_w(hm2))
    return ce + lam * cons, dict(logits1=logits1, hm1=hm1, logits2=logits2, hm2=hm2, ce=ce, consistency=cons)


def make_adam(params, lr, wd):
    return torch.optim.Adam(params, lr=lr, betas=BETAS, eps=ADAM_EPS, weight_decay=wd)


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def default_dtype(dtype):
    old = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def run_model(arch, width, init_state, inputs, lr, wd, pkeys, bkeys, dtype):
    """The whole model computation in `dtype` (torch's default dtype set to it meanwhile).

    inputs: (x1, x2, x1b, x2b, y1, y2) with float inputs in float64 holding float32-rounded
    values. Returns (results, scalars, model): results is the ordered list of (fixture tensor
    name, torch tensor in `dtype`) of everything computed (eval, train, grad, bn1step,
    baseline, baseline_grad, adam2, adam2buf); scalars are python floats.
    """
    with default_dtype(dtype):
        cast = lambda t: t.to(dtype) if t.is_floating_point() else t
        state = {k: cast(v) for k, v in init_state.items()}
        x1, x2, x1b, x2b, y1, y2 = [cast(t) for t in inputs]
        model = EACResNet(arch, width).to(dtype)
        model.load_state_dict(state)
        results = []
        R = lambda name, t: results.append((name, t.detach().clone()))

        # eval-mode forward of x1 (running statistics)
        model.eval()
        with torch.no_grad():
            logits, hm, pooled = model(x1)
        R("eval.logits", logits)
        R("eval.hm", hm)
        R("eval.features_pooled", pooled)

        # step 1 of EAC training: two train-mode passes, loss, backward
        model.train()
        opt = make_adam(model.parameters(), lr, wd)
        opt.zero_grad()
        loss, parts = eac_loss(model, x1, x2, y1, LAM)
        loss.backward()
        for k in ("logits1", "hm1", "logits2", "hm2", "ce", "consistency"):
            R("train." + k, parts[k])
        R("train.loss", loss)
        scalars = {
            "train.ce": parts["ce"].item(),
            "train.consistency": parts["consistency"].item(),
            "train.loss": loss.item(),
        }
        named = dict(model.named_parameters())
        for k in pkeys:
            R("grad." + k, named[k].grad)
        buf1 = snapshot(model, bkeys)
        for k in bkeys:
            R("bn1step." + k, buf1[k])
        opt.step()
        # step 2
        opt.zero_grad()
        loss2, parts2 = eac_loss(model, x1b, x2b, y2, LAM)
        loss2.backward()
        opt.step()
        scalars["step2.loss"] = loss2.item()
        after = snapshot(model, pkeys + bkeys)

        # baseline: CE on view 1 only, one train pass from the initial state
        base = EACResNet(arch, width).to(dtype)
        base.load_state_dict(state)
        base.train()
        logits_b, _, _ = base(x1)
        ce_b = F.cross_entropy(logits_b, y1)
        ce_b.backward()
        R("baseline.ce", ce_b)
        scalars["baseline.ce"] = ce_b.item()
        named_b = dict(base.named_parameters())
        for k in pkeys:
            R("baseline_grad." + k, named_b[k].grad)

        for k in pkeys:
            R("adam2." + k, after[k])
        for k in bkeys:
            R("adam2buf." + k, after[k])
    return results, scalars, model


def rel_error(actual, expected):
    """The engine tests' measure: max |actual - expected| / max(max |expected|, 1e-12), in float64."""
    a = np.asarray(actual, dtype=np.float64).ravel()
    e = np.asarray(expected, dtype=np.float64).ravel()
    assert a.shape == e.shape
    if e.size == 0:
        return 0.0
    return float(np.max(np.abs(a - e)) / max(float(np.max(np.abs(e))), 1e-12))


def model_fixture(out_dir, arch, width, size, seed, labels, labels2, lr=1e-3, wd=1e-4, batch=4):
    rng = np.random.default_rng(seed)
    model = EACResNet(arch, width).double()
    init_params(model, rng)
    pkeys, bkeys = param_keys(model), buffer_keys(model)
    init_state = {k: v.clone() for k, v in model.state_dict().items()}

    def rnd_input():
        return torch.from_numpy(rng.standard_normal((batch, 3, size, size)).astype(np.float32).astype(np.float64))

    x1, x2 = rnd_input(), rnd_input()
    x1b, x2b = rnd_input(), rnd_input()
    y1 = torch.tensor(labels, dtype=torch.long)
    y2 = torch.tensor(labels2, dtype=torch.long)
    assert len(labels) == batch and len(labels2) == batch
    inputs = (x1, x2, x1b, x2b, y1, y2)

    tensors = []
    T = lambda name, arr: tensors.append((name, arr))
    for k in pkeys + bkeys:
        T("param." + k, to_f32(init_state[k]))
    T("input.x1", to_f32(x1))
    T("input.x2", to_f32(x2))
    T("input.labels", np.asarray(labels, dtype=np.int32))
    T("input2.x1", to_f32(x1b))
    T("input2.x2", to_f32(x2b))
    T("input2.labels", np.asarray(labels2, dtype=np.int32))

    # the float64 reference
    results, scalars, model = run_model(arch, width, init_state, inputs, lr, wd, pkeys, bkeys, torch.float64)
    for name, t in results:
        T(name, to_f32(t))
    hm = dict(results)["eval.hm"]
    map_size = [int(hm.shape[2]), int(hm.shape[3])]

    # PyTorch's own float32 error on the same computation, measured against the stored
    # (float32-rounded) reference exactly as the engine tests measure theirs
    results32, _, _ = run_model(arch, width, init_state, inputs, lr, wd, pkeys, bkeys, torch.float32)
    stored = dict(tensors)
    assert [n for n, _ in results32] == [n for n, _ in results]
    f32_err = {}
    for name, t in results32:
        assert t.dtype == torch.float32, (name, t.dtype)
        f32_err[name] = rel_error(t.numpy(), stored[name])

    config = {
        "arch": arch.split("-")[0],
        **({"layout": "torchvision"} if arch == "resnet50-torchvision" else {}),
        "width": width,
        "blocks": [3, 4, 6, 3] if arch.startswith("resnet50") else [2, 2, 2, 2],
        "inputSize": size,
        "batch": batch,
        "lam": LAM,
        "lr": lr,
        "weightDecay": wd,
        "betas": list(BETAS),
        "eps": ADAM_EPS,
        "bnEps": BN_EPS,
        "bnMomentum": BN_MOMENTUM,
        "mapSize": map_size,
        "featureChannels": model.feature_channels,
        "numClasses": NUM_CLASSES,
        "keys": pkeys,
        "buffers": bkeys,
        "labels": list(labels),
        "labels2": list(labels2),
        "seed": seed,
        "numParams": int(sum(p.numel() for p in model.parameters())),
        "scalars": scalars,
        "note": "float64 reference from float32-rounded params/inputs, stored as F32; "
        "tensor prefixes: param, input, input2, eval, train, grad, bn1step, baseline, "
        "baseline_grad, adam2, adam2buf",
    }
    json_extra = {
        "torchF32Note": "PyTorch's own float32 run of the same computation (same float32 params and "
        "inputs, same passes, Adam steps), relError = max|f32 - ref| / max(max|ref|, 1e-12) per tensor "
        "against the stored reference; sidecar JSON only, not in the .safetensors metadata",
        "torchF32MaxRelError": max(f32_err.values()),
        "torchF32RelError": f32_err,
    }
    path = write_fixture(out_dir, arch, tensors, config, json_extra)
    return path, scalars, config, f32_err


def f32_summary(arch, f32_err):
    """Max torch float32 relError per tensor-name prefix, and the overall worst tensor."""
    by_prefix = {}
    for name, e in f32_err.items():
        pre = name.split(".", 1)[0]
        by_prefix[pre] = max(by_prefix.get(pre, 0.0), e)
    worst = max(f32_err, key=f32_err.get)
    parts = " ".join(f"{p}={v:.2e}" for p, v in by_prefix.items())
    return f"{arch} torch f32 relError max: {parts}; worst {worst}={f32_err[worst]:.2e}"


def adam_fixture(out_dir, seed=7):
    rng = np.random.default_rng(seed)
    lr, wd = 1e-2, 1e-2
    shapes = {"w": [3, 4], "b": [5], "s": []}
    r32 = lambda shape, scale=1.0: torch.from_numpy(
        np.asarray(scale * rng.standard_normal(shape)).astype(np.float32).astype(np.float64)
    )
    params = {k: r32(s).requires_grad_(True) for k, s in shapes.items()}
    grads = []
    for step in range(3):
        g = {k: r32(s, scale=[1.0, 0.1, 3.0][step]) for k, s in shapes.items()}
        if step == 0:
            g["w"][0, 0] = 0.0  # a zero gradient entry: only the weight-decay term moves it
        grads.append(g)

    tensors = [("param." + k, to_f32(v)) for k, v in params.items()]
    opt = make_adam(list(params.values()), lr, wd)
    for step, g in enumerate(grads, start=1):
        opt.zero_grad()
        for k, p in params.items():
            p.grad = g[k].clone()
        opt.step()
        tensors += [(f"grad{step}." + k, to_f32(g[k])) for k in shapes]
        tensors += [(f"step{step}." + k, to_f32(params[k])) for k in shapes]

    # ExponentialLR: lr in effect during epoch e (1-based), stepped at the end of each epoch
    lr0, gamma, epochs = 1e-4, 0.9, 5
    dummy = torch.zeros(1, requires_grad=True)
    o = torch.optim.Adam([dummy], lr=lr0)
    sched = torch.optim.lr_scheduler.ExponentialLR(o, gamma=gamma)
    lrs = []
    for _ in range(epochs):
        lrs.append(o.param_groups[0]["lr"])
        o.step()
        sched.step()

    config = {
        "lr": lr,
        "weightDecay": wd,
        "betas": list(BETAS),
        "eps": ADAM_EPS,
        "steps": 3,
        "names": list(shapes.keys()),
        "shapes": shapes,
        "decay": "coupled L2 (torch.optim.Adam weight_decay): g <- g + wd*theta before the moments",
        "exponentialLR": {"gamma": gamma, "lr0": lr0, "epochs": epochs, "lrs": lrs},
        "seed": seed,
    }
    path = write_fixture(out_dir, "adam", tensors, config)
    return path, config


def pipeline_images(rng):
    H = W = 100
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    smooth = np.stack([xx / (W - 1) * 255, yy / (H - 1) * 255, (xx + yy) / (W + H - 2) * 255], axis=-1)
    smooth = np.round(smooth).astype(np.uint8)
    noise = rng.integers(0, 256, size=(H, W, 3), dtype=np.uint8)
    edges = np.zeros((H, W, 3), dtype=np.uint8)
    edges[((yy // 10 + xx // 10) % 2 == 1)] = 255  # 10-px checkerboard, black/white
    edges[20:45, 55:90] = [255, 0, 0]  # red block
    edges[60:95, 5:40] = [0, 0, 255]  # blue block
    edges[:, 50] = [0, 255, 0]  # 1-px green line
    edges[73, :] = [255, 255, 0]  # 1-px yellow line
    circle = (yy - 70) ** 2 + (xx - 70) ** 2 <= 15**2
    edges[circle] = [200, 30, 120]
    edges[0, :] = 255  # hard border rows/cols to exercise edge clamping
    edges[:, 99] = 0
    return np.stack([smooth, noise, edges])


def pil_resize(img, s):
    bilinear = getattr(Image, "Resampling", Image).BILINEAR
    return np.asarray(Image.fromarray(img).resize((s, s), bilinear), dtype=np.uint8)


def to_tensor_normalize(img_hwc):
    """torchvision ToTensor + Normalize, float32 arithmetic as torchvision does it."""
    t = torch.from_numpy(np.array(img_hwc, np.uint8)).permute(2, 0, 1).contiguous()
    t = t.to(dtype=torch.float32).div(255)
    mean = torch.as_tensor((0.485, 0.456, 0.406), dtype=torch.float32)
    std = torch.as_tensor((0.229, 0.224, 0.225), dtype=torch.float32)
    return t.sub_(mean[:, None, None]).div_(std[:, None, None])


def pipeline_fixture(out_dir, seed=11):
    rng = np.random.default_rng(seed)
    img = pipeline_images(rng)
    tensors = [("img", img)]
    sizes = [64, 112, 224]
    for s in sizes:
        resized = np.stack([pil_resize(im, s) for im in img])
        normalized = torch.stack([to_tensor_normalize(r) for r in resized]).numpy()
        assert normalized.dtype == np.float32
        tensors.append((f"resized{s}", resized))
        tensors.append((f"normalized{s}", np.array(normalized, order="C")))

    # add_g-style noise and clipping: base = the sharp-edge image (lots of 0 and 255)
    sigma = math.sqrt(30.0)
    noise_in = (img[2].astype(np.float64) + rng.normal(0.0, sigma, img[2].shape)).astype(np.float32)
    assert (noise_in < 0).any() and (noise_in > 255).any()
    noise_out = np.clip(noise_in, 0, 255).astype(np.uint8)
    tensors.append(("noise_in", noise_in))
    tensors.append(("noise_out", noise_out))

    hm = torch.from_numpy(rng.standard_normal((2, NUM_CLASSES, 3, 3)).astype(np.float32).astype(np.float64))
    flipped = official_flip(hm)
    assert (flipped - torch.flip(hm, dims=[3])).abs().max().item() <= 1e-12
    tensors.append(("flip.hm", to_f32(hm)))
    tensors.append(("flip.out", to_f32(flipped)))

    config = {
        "images": ["smooth gradient", "uniform random noise", "sharp edges"],
        "imageShape": [100, 100, 3],
        "sizes": sizes,
        "resize": "PIL Image.resize((S,S), BILINEAR) on uint8 RGB (torchvision Resize((S,S)) on a PIL image); "
        "note PIL widens the filter support when downscaling (antialiased)",
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
        "normalize": "float32: (u8 / 255 - mean) / std, CHW",
        "noiseSigma": sigma,
        "noise": "noise_out = np.clip(noise_in, 0, 255).astype(np.uint8) (truncation toward zero)",
        "flip": "flip.out = F.grid_sample(flip.hm, negated-x grid, bilinear, border, align_corners=True)",
        "seed": seed,
    }
    path = write_fixture(out_dir, "pipeline", tensors, config)
    return path, config


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", help="write only this fixture (e.g. resnet50-torchvision)")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    t0 = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(1)
    torch.set_default_dtype(torch.float64)

    written = []
    if args.only == "resnet50-torchvision" or args.only is None:
        p, stv, ctv, etv = model_fixture(
            args.out, "resnet50-torchvision", 2, 48, seed=51, labels=[1, 4, 0, 6], labels2=[2, 5, 3, 0]
        )
        assert ctv["mapSize"] == [2, 2] and ctv["featureChannels"] == 64
        print(f32_summary("resnet50-torchvision", etv))
        if args.only:
            print(os.path.relpath(p, REPO), os.path.getsize(p), "bytes")
            return 0
    elif args.only:
        raise SystemExit(f"--only: unknown fixture {args.only}")
    p, s50, c50, e50 = model_fixture(args.out, "resnet50", 4, 72, seed=50, labels=[0, 3, 6, 2], labels2=[5, 1, 3, 4])
    assert c50["mapSize"] == [3, 3] and c50["featureChannels"] == 128
    written.append(p)
    p, s18, c18, e18 = model_fixture(args.out, "resnet18", 4, 80, seed=18, labels=[3, 0, 4, 6], labels2=[1, 2, 5, 3])
    assert c18["mapSize"] == [3, 3] and c18["featureChannels"] == 32
    written.append(p)
    p, _ = adam_fixture(args.out)
    written.append(p)
    p, _ = pipeline_fixture(args.out)
    written.append(p)

    total = 0
    for path in written:
        for q in (path, path[: -len(".safetensors")] + ".json"):
            sz = os.path.getsize(q)
            total += sz
            print(f"{os.path.relpath(q, REPO):45s} {sz:>10,d} bytes")
    print(f"total {total:,d} bytes")
    for arch, s in (("resnet50", s50), ("resnet18", s18)):
        print(arch, " ".join(f"{k}={v:.17g}" for k, v in s.items()))
    for arch, e in (("resnet50", e50), ("resnet18", e18)):
        print(f32_summary(arch, e))
    print(f"done in {time.time() - t0:.2f} s")


if __name__ == "__main__":
    sys.exit(main())
