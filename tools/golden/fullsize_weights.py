#!/usr/bin/python3
"""Writes full-size, random-valued weight files for scripts/measure/weights-load.ts into .tmp/fullsize/
(never committed: about 270 MB).

Run with Debian's python (torch 1.13 + numpy):  /usr/bin/python3 tools/golden/fullsize_weights.py

- resnet50_ft_weight.pkl: the VGGFace2 Caffe-layout ResNet-50 as the official EAC code loads it, a
  Python 2 cPickle (protocol 2, BINSTRING payloads, numpy.core.multiarray._reconstruct) of a dict
  name -> float32 array with the 8631-way identity head: ~165 MB like the real file;
- resnet50_torchvision.pth: a torchvision-layout ResNet-50 state_dict (1000-way head,
  num_batches_tracked included) written by torch.save (zip format): ~102 MB;
- expected.json: per file, the float64 sum and first values of a few tensors, to check a load.

Deterministic (fixed seeds). The values are random: the files are for timing and memory only.
"""
import json
import os
import sys
import time
from collections import OrderedDict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from weights_fixtures import Py2Writer, make_arrays  # noqa: E402

OUT = os.path.join(HERE, '..', '..', '.tmp', 'fullsize')
CHECKED = ['conv1.weight', 'layer4.2.conv3.weight', 'fc.weight', 'fc.bias']


def check(arrays):
    out = {}
    for k in CHECKED:
        flat = np.asarray(arrays[k]).astype(np.float64).reshape(-1)
        out[k] = {'shape': list(np.asarray(arrays[k]).shape), 'sum': float(flat.sum()), 'first': [float(x) for x in flat[:4]]}
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    t = time.time()
    caffe = make_arrays('resnet50', 64, 8631, seed=1)
    data = Py2Writer().dict_(caffe, {})
    path = os.path.join(OUT, 'resnet50_ft_weight.pkl')
    with open(path, 'wb') as f:
        f.write(data)
    expected['resnet50_ft_weight.pkl'] = {'bytes': len(data), 'tensors': len(caffe), 'check': check(caffe)}
    print(f'{path}: {len(data)} bytes, {len(caffe)} arrays ({time.time() - t:.1f} s)')
    del data

    t = time.time()
    tv = make_arrays('resnet50', 64, 1000, seed=2, with_nbt=True)
    sd = OrderedDict((k, torch.from_numpy(np.ascontiguousarray(a))) for k, a in tv.items())
    path = os.path.join(OUT, 'resnet50_torchvision.pth')
    torch.save(sd, path)
    size = os.path.getsize(path)
    expected['resnet50_torchvision.pth'] = {'bytes': size, 'tensors': len(sd), 'check': check(tv)}
    print(f'{path}: {size} bytes, {len(sd)} tensors ({time.time() - t:.1f} s)')

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=1)


if __name__ == '__main__':
    main()
