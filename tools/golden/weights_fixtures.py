#!/usr/bin/python3
"""Writes the weight-file fixtures of tests/unit/weights.test.ts into tests/fixtures/weights/.

Run with Debian's python (torch 1.13 + numpy):  /usr/bin/python3 tools/golden/weights_fixtures.py

- pickles of a dict name -> numpy array (a narrow Caffe-layout ResNet-50 with a 10-way head, as
  resnet50_ft_weight.pkl but small) in protocols 2, 3, 4, 5, and a Python-2-style pickle written
  opcode by opcode (BINSTRING/SHORT_BINSTRING payloads, numpy.core.multiarray._reconstruct +
  BUILD, a big-endian and a Fortran-order array), since no Python 2 is at hand;
- pickles of assorted dtypes with numpy >= 2 module names (numpy._core.*), via _reconstruct
  (protocol 4) and _frombuffer (protocol 5);
- torch.save archives: a torchvision ResNet-18 (width 4) state_dict inside {'state_dict': ...},
  an official-EAC-style state_dict (features.N keys, 7-class head), tensors sharing a storage
  (views with offsets and strides, int64/half/double/int32 storages), and the same with a
  'big' byteorder record and byte-swapped storages;
- a safetensors file;
- hostile files: os.system / builtins.eval / __builtin__.getattr / subprocess.Popen pickles
  (hand-written opcode streams, never executed), a zip whose data.pkl names a missing storage or
  os.system, truncated files, random bytes, a safetensors with a huge header length;
- expected.json: per fixture, per tensor dtype, shape, float64 sum, first values (and all values
  of the small ones), computed from the source arrays, not by reading the files back.

Deterministic: fixed seeds, no timestamps.
"""
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'weights')


def resnet_keys(arch, width, classes):
    """(name, OIHW shape) in state_dict order, num_batches_tracked included (shape None)."""
    out = []

    def conv(name, cout, cin, k):
        out.append((name + '.weight', (cout, cin, k, k)))

    def bn(name, c):
        for s in ('weight', 'bias', 'running_mean', 'running_var'):
            out.append((f'{name}.{s}', (c,)))
        out.append((f'{name}.num_batches_tracked', None))

    conv('conv1', width, 3, 7)
    bn('bn1', width)
    bottleneck = arch == 'resnet50'
    exp = 4 if bottleneck else 1
    inplanes = width
    for li, count in enumerate([3, 4, 6, 3] if bottleneck else [2, 2, 2, 2]):
        planes = width << li
        for b in range(count):
            p = f'layer{li + 1}.{b}'
            stride = 2 if b == 0 and li > 0 else 1
            if bottleneck:
                conv(p + '.conv1', planes, inplanes, 1); bn(p + '.bn1', planes)
                conv(p + '.conv2', planes, planes, 3); bn(p + '.bn2', planes)
                conv(p + '.conv3', planes * 4, planes, 1); bn(p + '.bn3', planes * 4)
            else:
                conv(p + '.conv1', planes, inplanes, 3); bn(p + '.bn1', planes)
                conv(p + '.conv2', planes, planes, 3); bn(p + '.bn2', planes)
            if stride != 1 or inplanes != planes * exp:
                conv(p + '.downsample.0', planes * exp, inplanes, 1); bn(p + '.downsample.1', planes * exp)
            inplanes = planes * exp
    out.append(('fc.weight', (classes, inplanes)))
    out.append(('fc.bias', (classes,)))
    return out


def make_arrays(arch, width, classes, seed, with_nbt=False):
    rs = np.random.RandomState(seed)
    d = OrderedDict()
    for name, shape in resnet_keys(arch, width, classes):
        if shape is None:
            if with_nbt:
                d[name] = np.array(1234 + len(d), dtype=np.int64)
            continue
        if name.endswith('running_var'):
            a = rs.uniform(0.5, 1.5, shape)
        else:
            a = rs.standard_normal(shape) * 0.1
        d[name] = a.astype(np.float32)
    return d


def official_key(name):
    if name.startswith('conv1.'):
        return 'features.0.' + name[6:]
    if name.startswith('bn1.'):
        return 'features.1.' + name[4:]
    if name.startswith('layer'):
        return f'features.{int(name[5]) + 3}.{name[7:]}'
    return name


def summary(arrays, full=False):
    out = {}
    for k, a in arrays.items():
        a = np.asarray(a)
        flat = a.astype(np.float64).reshape(-1)  # C order
        e = {'dtype': a.dtype.name, 'shape': list(a.shape), 'sum': float(flat.sum()),
             'first': [float(x) for x in flat[:6]], 'last': float(flat[-1]) if flat.size else None}
        if full:
            e['values'] = [float(x) for x in flat]
        out[k] = e
    return out


# ---------------------------------------------------------------- pickles written by hand

def binput(i):
    return b'q' + bytes([i]) if i < 256 else b'r' + struct.pack('<I', i)


def binget(i):
    return b'h' + bytes([i]) if i < 256 else b'j' + struct.pack('<I', i)


class Py2Writer:
    """A cPickle protocol-2 stream as Python 2 writes a dict of numpy arrays."""

    def __init__(self):
        self.b = bytearray(b'\x80\x02')
        self.memo = {}

    def put(self):
        i = len(self.memo) + 1
        self.memo[i] = True
        self.b += binput(i)
        return i

    def str8(self, s):
        s = s if isinstance(s, bytes) else s.encode('latin-1')
        if len(s) < 256:
            self.b += b'U' + bytes([len(s)]) + s
        else:
            self.b += b'T' + struct.pack('<i', len(s)) + s
        self.put()

    def int_(self, v):
        if 0 <= v < 256:
            self.b += b'K' + bytes([v])
        elif 0 <= v < 65536:
            self.b += b'M' + struct.pack('<H', v)
        else:
            self.b += b'J' + struct.pack('<i', v)

    def glob(self, module, name):
        key = (module, name)
        if key in self.memo:
            self.b += binget(self.memo[key])
            return
        self.b += b'c' + module.encode() + b'\n' + name.encode() + b'\n'
        i = len(self.memo) + 1
        self.memo[i] = True
        self.memo[key] = i
        self.b += binput(i)

    def array(self, a, order_char='<', fortran=False):
        self.glob('numpy.core.multiarray', '_reconstruct')
        self.glob('numpy', 'ndarray')
        self.b += b'K\x00\x85'  # (0,)
        self.str8('b')
        self.b += b'\x87R'  # TUPLE3 REDUCE
        self.put()
        self.b += b'('  # state
        self.int_(1)
        self.b += b'('
        for d in a.shape:
            self.int_(d)
        self.b += b't'
        self.put()
        self.glob('numpy', 'dtype')
        self.b += b'('
        self.str8(a.dtype.str[1:])
        self.b += b'K\x00K\x01tR'
        self.put()
        self.b += b'(K\x03'
        self.str8(order_char)
        self.b += b'NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb'
        self.b += b'\x88' if fortran else b'\x89'
        dt = a.dtype.newbyteorder('>') if order_char == '>' else a.dtype
        self.str8(a.astype(dt).tobytes(order='F' if fortran else 'C'))
        self.b += b't'
        self.put()
        self.b += b'b'

    def dict_(self, d, special):
        self.b += b'}'
        self.put()
        self.b += b'('
        for k, a in d.items():
            self.str8(k)
            self.array(a, **special.get(k, {}))
        self.b += b'u.'
        return bytes(self.b)


def numpy2_pickle(arrays, protocol):
    """A real pickle with numpy >= 2 module names (numpy._core.*)."""
    mod_m = types.ModuleType('numpy._core.multiarray')
    mod_n = types.ModuleType('numpy._core.numeric')

    def _reconstruct(*a):
        raise RuntimeError

    def _frombuffer(*a):
        raise RuntimeError
    _reconstruct.__module__ = 'numpy._core.multiarray'
    _reconstruct.__qualname__ = '_reconstruct'
    _frombuffer.__module__ = 'numpy._core.numeric'
    _frombuffer.__qualname__ = '_frombuffer'
    mod_m._reconstruct = _reconstruct
    mod_n._frombuffer = _frombuffer
    saved = {k: sys.modules.get(k) for k in ('numpy._core', 'numpy._core.multiarray', 'numpy._core.numeric')}
    sys.modules['numpy._core'] = types.ModuleType('numpy._core')
    sys.modules['numpy._core.multiarray'] = mod_m
    sys.modules['numpy._core.numeric'] = mod_n

    class P(pickle.Pickler):
        def reducer_override(self, obj):
            if type(obj) is np.ndarray:
                r = obj.__reduce_ex__(protocol)
                fn = r[0]
                if fn.__name__ == '_reconstruct':
                    return (_reconstruct,) + tuple(r[1:])
                if fn.__name__ == '_frombuffer':
                    return (_frombuffer,) + tuple(r[1:])
            return NotImplemented
    f = io.BytesIO()
    try:
        P(f, protocol=protocol).dump(arrays)
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
    return f.getvalue()


def torch_save(obj):
    f = io.BytesIO()
    torch.save(obj, f)
    return f.getvalue()


def rewrite_zip(data, change, add=None):
    """Copies a zip, letting change(name, bytes) -> bytes | None (None drops the entry)."""
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            b = change(info.filename, zin.read(info.filename))
            if b is None:
                continue
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zout.writestr(zi, b)
        for name, b in (add or {}).items():
            zout.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), b)
    return out.getvalue()


def safetensors_bytes(tensors):
    header, blobs, off = {}, [], 0
    codes = {np.float32: 'F32', np.float64: 'F64', np.int64: 'I64', np.float16: 'F16'}
    for k, a in tensors.items():
        b = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[k] = {'dtype': codes[a.dtype.type], 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def main():
    os.makedirs(OUT, exist_ok=True)
    files, expected = {}, {}

    # --- numpy pickles of a narrow Caffe ResNet-50 (10-way head) ---
    r50w4 = make_arrays('resnet50', 4, 10, seed=1)
    r50w2 = make_arrays('resnet50', 2, 10, seed=2)
    files['resnet50_caffe_w4_h10_p2.pkl'] = pickle.dumps(dict(r50w4), protocol=2)
    expected['resnet50_caffe_w4_h10_p2.pkl'] = {'format': 'pickle', 'tensors': summary(r50w4)}
    for p in (3, 4, 5):
        name = f'resnet50_caffe_w2_h10_p{p}.pkl'
        files[name] = pickle.dumps(dict(r50w2), protocol=p)
        expected[name] = {'format': 'pickle', 'tensors': summary(r50w2)}
    special = {'bn1.running_var': {'order_char': '>'}, 'fc.weight': {'fortran': True}, 'layer1.0.conv2.weight': {'fortran': True, 'order_char': '>'}}
    files['resnet50_ft_weight_w4_h10_py2.pkl'] = Py2Writer().dict_(r50w4, special)
    expected['resnet50_ft_weight_w4_h10_py2.pkl'] = {'format': 'pickle', 'tensors': summary(r50w4)}

    # --- assorted dtypes, numpy >= 2 names ---
    rs = np.random.RandomState(3)
    dt = OrderedDict()
    dt['f64'] = rs.standard_normal((3, 4))
    dt['f64_big'] = rs.standard_normal((5,)).astype('>f8')
    dt['f16'] = (rs.standard_normal((2, 3)) * 4).astype(np.float16)
    dt['i64'] = np.array([-3, 0, 7, 2 ** 40, -2 ** 50], dtype=np.int64)
    dt['i32_big'] = np.array([[1, -2], [300000, -400000]], dtype='>i4')
    dt['u8'] = np.arange(6, dtype=np.uint8).reshape(2, 3)
    dt['bool'] = np.array([True, False, True])
    dt['f32_fortran'] = np.asfortranarray(rs.standard_normal((2, 3, 4)).astype(np.float32))
    dt['f32_scalar'] = np.array(2.5, dtype=np.float32)
    dt['empty'] = np.zeros((0, 3), dtype=np.float32)
    for p in (2, 4, 5):
        name = f'dtypes_numpy2_p{p}.pkl'
        files[name] = numpy2_pickle(dict(dt), p)
        expected[name] = {'format': 'pickle', 'tensors': summary(dt, full=True)}
    assert b'numpy._core' in files['dtypes_numpy2_p4.pkl'] and b'_frombuffer' in files['dtypes_numpy2_p5.pkl']

    # --- torch.save archives ---
    torch.manual_seed(0)
    r18 = make_arrays('resnet18', 4, 12, seed=4, with_nbt=True)
    sd18 = OrderedDict((k, torch.from_numpy(v.copy())) for k, v in r18.items())
    files['resnet18_w4_h12_msceleb.pth'] = torch_save({'state_dict': sd18, 'epoch': 3, 'arch': 'resnet18'})
    expected['resnet18_w4_h12_msceleb.pth'] = {'format': 'torch-zip', 'tensors': summary(r18)}

    r50e = make_arrays('resnet50', 2, 7, seed=5, with_nbt=True)
    sde = OrderedDict((official_key(k), torch.from_numpy(v.copy())) for k, v in r50e.items())
    sde._metadata = OrderedDict([('', {'version': 1})])
    files['eac_official_w2.pth'] = torch_save(sde)
    expected['eac_official_w2.pth'] = {'format': 'torch-zip', 'tensors': summary(OrderedDict((official_key(k), v) for k, v in r50e.items()))}

    base = torch.arange(60, dtype=torch.float32).reshape(3, 4, 5) * 0.5 - 7
    shared = OrderedDict()
    shared['base'] = base
    shared['row_offset'] = base[1]                    # offset 20
    shared['column'] = base[:, 1, :]                  # offset 5, strides (20, 1)
    shared['transposed'] = base.transpose(0, 2)       # strides (1, 5, 20)
    shared['every_other'] = base[1:, ::2, 1::3]       # offset 21, strides (20, 10, 3)
    shared['scalar_view'] = base[2, 3, 4]             # 0-d, offset 59
    shared['num_batches_tracked'] = torch.tensor(987654321012, dtype=torch.int64)
    longs = torch.tensor([[-5, 6], [2 ** 40, 9]], dtype=torch.int64)
    shared['long_t'] = longs.t()
    shared['half'] = torch.tensor([0.5, -1.25, 3.0, 65504.0], dtype=torch.float16)
    shared['double'] = torch.linspace(-1, 1, 7, dtype=torch.float64)[1::2]
    shared['int32'] = torch.tensor([1, -2, 3], dtype=torch.int32)
    files['shared_storage.pth'] = torch_save(shared)
    sh_np = OrderedDict((k, v.numpy()) for k, v in shared.items())
    expected['shared_storage.pth'] = {'format': 'torch-zip', 'tensors': summary(sh_np, full=True)}
    with zipfile.ZipFile(io.BytesIO(files['shared_storage.pth'])) as z:
        names = z.namelist()
    sizes = {'0': 4}  # storages by key: look the element size up from the pickle's order below

    def to_big(name, b):
        if name.endswith('/byteorder'):
            return b'big'
        if '/data/' in name:
            key = name.rsplit('/', 1)[1]
            return bytes(np.frombuffer(b, dtype=storage_dtype[key]).byteswap().tobytes())
        return b
    # which numpy dtype each storage key has (from the tensors themselves)
    storage_dtype = {}
    memo_ptrs = {}
    for v in shared.values():
        ptr = v.storage().data_ptr()
        memo_ptrs.setdefault(ptr, v.dtype)
    # torch assigns keys '0', '1', ... in order of first appearance
    order = []
    for v in shared.values():
        ptr = v.storage().data_ptr()
        if ptr not in order:
            order.append(ptr)
    npd = {torch.float32: np.float32, torch.int64: np.int64, torch.float16: np.float16, torch.float64: np.float64, torch.int32: np.int32}
    for i, ptr in enumerate(order):
        storage_dtype[str(i)] = npd[memo_ptrs[ptr]]
    files['shared_storage_bigendian.pth'] = rewrite_zip(files['shared_storage.pth'], to_big, {'archive/byteorder': b'big'})
    expected['shared_storage_bigendian.pth'] = expected['shared_storage.pth']
    del sizes, names

    # --- safetensors (backbone keys, 7-way head, an I64 counter and an F64 tensor) ---
    r18s = make_arrays('resnet18', 4, 7, seed=6, with_nbt=True)
    files['resnet18_w4_h7.safetensors'] = safetensors_bytes(r18s)
    expected['resnet18_w4_h7.safetensors'] = {'format': 'safetensors', 'tensors': summary(r18s)}

    # --- hostile files (opcode streams written by hand, never unpickled here) ---
    files['hostile_os_system.pkl'] = b'\x80\x02cos\nsystem\nq\x00X\x0b\x00\x00\x00echo pwned!\x85q\x01Rq\x02.'
    body = b'\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x10__import__(\'os\')\x94\x85\x94R\x94.'
    files['hostile_builtins_eval.pkl'] = b'\x80\x04\x95' + struct.pack('<Q', len(body)) + body
    # a valid dict entry first, then the refused global (the refusal happens mid-stream)
    good = Py2Writer()
    good.b += b'}'
    good.put()
    good.b += b'('
    good.str8('conv1.weight')
    good.array(np.ones((2, 3, 1, 1), dtype=np.float32))
    good.str8('x')
    good.b += b'c__builtin__\ngetattr\n(c__builtin__\nobject\nU\x05mro__tR'
    good.b += b'u.'
    files['hostile_getattr_py2.pkl'] = bytes(good.b)
    files['hostile_subprocess.pkl'] = b'\x80\x02csubprocess\nPopen\n(X\x02\x00\x00\x00ls\x85tR.'
    files['hostile_posix_system_p5.pkl'] = b'\x80\x05\x8c\x05posix\x8c\x06system\x93X\x02\x00\x00\x00id\x85R.'
    dropped = [n for n in zipfile.ZipFile(io.BytesIO(files['shared_storage.pth'])).namelist() if n.endswith('/data/1')][0]
    files['hostile_missing_storage.pth'] = rewrite_zip(files['shared_storage.pth'], lambda n, b: None if n == dropped else b)
    files['hostile_zip_os_system.pth'] = rewrite_zip(files['shared_storage.pth'], lambda n, b: files['hostile_os_system.pkl'] if n.endswith('data.pkl') else b)
    files['truncated_p4.pkl'] = files['dtypes_numpy2_p4.pkl'][: len(files['dtypes_numpy2_p4.pkl']) * 3 // 5]
    files['truncated.pth'] = files['shared_storage.pth'][: len(files['shared_storage.pth']) * 3 // 5]
    files['truncated.safetensors'] = files['resnet18_w4_h7.safetensors'][:4000]
    files['random_bytes.bin'] = np.random.RandomState(7).randint(0, 256, 4096).astype(np.uint8).tobytes()
    files['random_after_proto.pkl'] = b'\x80\x02' + np.random.RandomState(8).randint(0, 256, 4096).astype(np.uint8).tobytes()
    files['huge_header.safetensors'] = struct.pack('<Q', 1 << 62) + b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}'
    files['deep_marks.pkl'] = b'\x80\x02' + b'(' * 20000 + b'.'
    files['huge_binbytes8.pkl'] = b'\x80\x04\x8e' + struct.pack('<Q', (1 << 63) + 5) + b'abc.'
    files['bad_strides.pth'] = rewrite_zip(files['shared_storage.pth'], lambda n, b: b[:8] if n.endswith('/data/0') else b)

    total = 0
    for name, data in files.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
        total += len(data)
    # fixtures holding the same tensors share one entry of "tensorSets"
    sets, out = {}, {'fixtures': {}, 'tensorSets': {}}
    for name, e in expected.items():
        key = json.dumps(e['tensors'], sort_keys=True)
        if key not in sets:
            sets[key] = f'set{len(sets)}'
            out['tensorSets'][sets[key]] = e['tensors']
        out['fixtures'][name] = {'format': e['format'], 'tensors': sets[key]}
    expected = out
    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, separators=(',', ':'), sort_keys=True)
        f.write('\n')

    # sanity: the real files load with the real libraries (the hostile ones are never loaded)
    for p in (2, 3, 4, 5):
        name = 'resnet50_caffe_w4_h10_p2.pkl' if p == 2 else f'resnet50_caffe_w2_h10_p{p}.pkl'
        back = pickle.loads(files[name])
        assert all(np.array_equal(back[k], v) for k, v in (r50w4 if p == 2 else r50w2).items())
    back = pickle.loads(files['resnet50_ft_weight_w4_h10_py2.pkl'], encoding='latin1')
    assert all(np.array_equal(back[k], v) for k, v in r50w4.items()), 'py2 pickle'
    assert back['fc.weight'].flags.f_contiguous and b'U\x01>' in files['resnet50_ft_weight_w4_h10_py2.pkl']
    # torch 1.13 neither writes nor reads the byteorder record: swap back, then load
    def to_little(name, b):
        if name.endswith('/byteorder'):
            return None
        return to_big(name, b) if '/data/' in name else b
    sd = torch.load(io.BytesIO(rewrite_zip(files['shared_storage_bigendian.pth'], to_little)))
    assert all(torch.equal(sd[k], v) for k, v in shared.items()), 'big-endian zip'
    sd = torch.load(io.BytesIO(files['resnet18_w4_h12_msceleb.pth']))['state_dict']
    assert all(np.array_equal(sd[k].numpy(), v) for k, v in r18.items())
    print(f'wrote {len(files)} fixtures + expected.json to {os.path.relpath(OUT)} ({total} bytes)')


if __name__ == '__main__':
    main()
