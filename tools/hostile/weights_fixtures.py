#!/usr/bin/python3
"""Writes the hostile and degenerate weight files of tests/unit/weights-hostile.test.ts (issue 14,
defects 1-9) into tests/fixtures/hostile/, each small.

Run with Debian's python (torch 1.13 + numpy):  /usr/bin/python3 tools/hostile/weights_fixtures.py
With --big DIR it also writes, into DIR (not committed), the large inputs the tests build in memory
instead (100 MB of INT digits, a 32 MB protocol-0 string, 20,000 deflated storages), for the
before/after measurements of docs/hardening.md.

torch.save archives are assembled here opcode by opcode (the same pickle torch.save writes:
_rebuild_tensor_v2 over persistent storage ids), since torch.save itself never writes a storage
type named `constructor` nor a view with more values than its storage; each legitimate-looking
one is checked to load with torch.load. Nothing here is ever unpickled by Python's pickle.

Deterministic: fixed seeds, fixed zip timestamps.
"""
import io
import os
import struct
import sys
import zipfile
from collections import OrderedDict

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.environ.get('HOSTILE_OUT') or os.path.join(HERE, '..', '..', 'tests', 'fixtures', 'hostile')
sys.path.insert(0, os.path.join(HERE, '..', 'golden'))
from weights_fixtures import resnet_keys  # noqa: E402

DATE = (2020, 1, 1, 0, 0, 0)


# ---------------------------------------------------------------- a protocol-2 pickle assembler

def p_str(s):
    b = s.encode()
    return b'X' + struct.pack('<I', len(b)) + b


def p_int(i):
    if -2 ** 31 <= i < 2 ** 31:
        return b'J' + struct.pack('<i', i)
    return b'\x8a\x08' + struct.pack('<q', i)


def p_glob(module, name):
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def p_tuple(items):
    return b'(' + b''.join(items) + b't'


def p_tensor(storage_type, key, numel, offset, size, stride):
    """torch._utils._rebuild_tensor_v2(persistent storage, offset, size, stride, False, OrderedDict())."""
    pid = p_tuple([p_str('storage'), p_glob('torch', storage_type), p_str(key), p_str('cpu'), p_int(numel)])
    args = b'(' + pid + b'Q' + p_int(offset) + p_tuple([p_int(d) for d in size]) + p_tuple([p_int(s) for s in stride]) \
        + b'\x89' + p_glob('collections', 'OrderedDict') + b')R' + b't'
    return p_glob('torch._utils', '_rebuild_tensor_v2') + args + b'R'


def p_state_dict(items):
    """An OrderedDict of name -> pickled value (bytes), as torch.save writes a state_dict."""
    body = b''.join(p_str(k) + v for k, v in items)
    return b'\x80\x02' + p_glob('collections', 'OrderedDict') + b')R' + b'(' + body + b'u' + b'.'


def torch_zip(pkl, storages, deflate=(), duplicate=None):
    """A torch.save-style archive: archive/data.pkl, archive/data/<key>, archive/version, archive/byteorder.
    storages: key -> bytes, or key -> (size, chunk) to stream `size` zero bytes (never in memory).
    deflate: keys stored deflated. duplicate: (key, bytes) appended as a second entry of that name."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w') as z:
        def put(name, data, method=zipfile.ZIP_STORED):
            info = zipfile.ZipInfo(name, DATE)
            info.compress_type = method
            if method == zipfile.ZIP_DEFLATED:
                info._compresslevel = 9
            if isinstance(data, tuple):
                size, chunk = data
                with z.open(info, 'w', force_zip64=size > 2 ** 31) as f:
                    for _ in range(size // len(chunk)):
                        f.write(chunk)
            else:
                z.writestr(info, data)
        put('archive/data.pkl', pkl)
        put('archive/byteorder', b'little')
        for key, data in storages.items():
            put(f'archive/data/{key}', data, zipfile.ZIP_DEFLATED if key in deflate else zipfile.ZIP_STORED)
        put('archive/version', b'3\n')
        if duplicate:
            import warnings
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')  # "Duplicate name": the point of this file
                put(f'archive/data/{duplicate[0]}', duplicate[1])
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(OUT, name), 'wb') as f:
        f.write(data)
    print(f'{name}: {len(data)} bytes')


def f32(values):
    return np.asarray(values, dtype='<f4').tobytes()


# ---------------------------------------------------------------- the files

def defect1_views():
    # 2^28 values from one stored float (stride 0): a 1 GiB tensor from a file of a few hundred bytes.
    write('stride0.pth', torch_zip(p_state_dict([('w', p_tensor('FloatStorage', '0', 1, 0, [2 ** 28], [0]))]), {'0': f32([1.5])}))
    # The same under the size limit (2^20 values, 4 MiB): refused as a view larger than its storage.
    write('stride0_small.pth', torch_zip(p_state_dict([('w', p_tensor('FloatStorage', '0', 1, 0, [2 ** 20], [0]))]), {'0': f32([1.5])}))
    # Overlapping views: [1024, 1024, 256] with strides [1, 1, 1] over 2304 values (2^28 of them decoded).
    write('overlap.pth', torch_zip(p_state_dict([('w', p_tensor('FloatStorage', '0', 2304, 0, [1024, 1024, 256], [1, 1, 1]))]), {'0': f32(np.arange(2304))}))
    # Honest views, many of one storage: each within it, but 1024 of them decode to 1024 × 1 MiB.
    items = [(f'v{i}', p_tensor('FloatStorage', '0', 2 ** 20, 0, [2 ** 18], [1])) for i in range(1024)]
    write('many_views.pth', torch_zip(p_state_dict(items), {'0': (2 ** 22, b'\0' * 4096)}, deflate={'0'}))
    # torch.load keeps these as views; check that they are what torch.save would describe.
    t = torch.load(os.path.join(OUT, 'stride0.pth'))['w']
    assert t.shape == (2 ** 28,) and t.stride() == (0,) and float(t[12345]) == 1.5


def defect2_zip_bomb():
    # Four deflated storages of 256 MiB zeros each (~256 KB each in the file), four tensors using them.
    n = 2 ** 26
    items = [(f'w{i}', p_tensor('FloatStorage', str(i), n, 0, [n], [1])) for i in range(4)]
    write('zip_bomb.pth', torch_zip(p_state_dict(items), {str(i): (4 * n, b'\0' * 2 ** 20) for i in range(4)}, deflate={'0', '1', '2', '3'}))
    # Small views of them: the tensors need 4 values, the storages would inflate to 1 GiB.
    items = [(f'w{i}', p_tensor('FloatStorage', str(i), n, 0, [1], [1])) for i in range(4)]
    write('zip_bomb_small_views.pth', torch_zip(p_state_dict(items), {str(i): (4 * n, b'\0' * 2 ** 20) for i in range(4)}, deflate={'0', '1', '2', '3'}))


def many_storages(count):
    """`count` one-value tensors, each in its own deflated storage (defect 3)."""
    items = [(f'w{i}', p_tensor('FloatStorage', str(i), 1, 0, [1], [1])) for i in range(count)]
    return torch_zip(p_state_dict(items), {str(i): f32([i]) for i in range(count)}, deflate={str(i) for i in range(count)})


def shared_tuple_key(depth):
    """A dict whose key is t_depth, t_0 = 'a', t_{i+1} = (t_i, t_i): 2^depth leaves from a few bytes (defect 4)."""
    b = b'\x80\x02}' + p_str('a') + b'q\x000'
    for i in range(depth):
        b += b'h' + bytes([i]) + b'h' + bytes([i]) + b'\x86q' + bytes([i + 1]) + b'0'
    return b + b'h' + bytes([depth]) + b'Ns.'


def defect4_pickle_keys():
    write('tuple_key_24.pkl', shared_tuple_key(24))
    write('tuple_key_19.pkl', shared_tuple_key(19))


def int_digits(n):
    return b'\x80\x02I' + b'1' * n + b'\n.'


def p0_string(n):
    return b"\x80\x02S'" + b'a' * n + b"'\n."


def p0_unicode(n):
    return b'\x80\x02V' + b'\\u00e9' * (n // 6) + b'\n.'


def defect6_names():
    # A storage type named `constructor` (on a plain object, `'constructor' in {}` is true).
    write('storage_constructor.pth', torch_zip(p_state_dict([('w', p_tensor('constructor', '0', 4, 0, [4], [1]))]), {'0': f32([1, 2, 3, 4])}))
    write('storage_proto.pth', torch_zip(p_state_dict([('w', p_tensor('__proto__', '0', 4, 0, [4], [1]))]), {'0': f32([1, 2, 3, 4])}))
    # GLOBAL torch.toString called with REDUCE.
    write('global_tostring.pkl', b'\x80\x02' + p_glob('torch', 'toString') + b')R.')
    header = b'{"w":{"dtype":"constructor","shape":[4],"data_offsets":[0,16]}}'
    write('dtype_constructor.safetensors', struct.pack('<Q', len(header)) + header + f32([1, 2, 3, 4]))


def resnet18_state(width, seed=0):
    rs = np.random.RandomState(seed)
    sd = OrderedDict()
    for name, shape in resnet_keys('resnet18', width, 7):
        if shape is None:
            sd[name] = torch.tensor(0, dtype=torch.int64)
        elif name.endswith('running_var'):
            sd[name] = torch.from_numpy(rs.uniform(0.5, 1.5, shape).astype(np.float32))
        else:
            sd[name] = torch.from_numpy(rs.normal(0, 0.1, shape).astype(np.float32))
    return sd


def torch_save(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def defect8_values():
    write('resnet18_w1_ok.pth', torch_save(resnet18_state(1)))
    # The same archive with every entry deflated: must read value for value like the stored one.
    src = zipfile.ZipFile(io.BytesIO(torch_save(resnet18_state(1))))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(zipfile.ZipInfo(info.filename, DATE), src.read(info.filename), zipfile.ZIP_DEFLATED)
    write('resnet18_w1_deflated.pth', buf.getvalue())
    assert all(torch.equal(a, b) for a, b in zip(torch.load(io.BytesIO(buf.getvalue())).values(), resnet18_state(1).values()))
    sd = resnet18_state(1)
    sd['layer2.0.conv1.weight'][0, 0, 1, 1] = float('nan')
    write('resnet18_w1_nan.pth', torch_save(sd))
    sd = resnet18_state(1)
    sd['layer3.1.bn2.running_var'][1] = float('inf')
    write('resnet18_w1_inf_var.pth', torch_save(sd))
    sd = resnet18_state(1)
    sd['layer1.0.bn1.running_var'][0] = -0.25
    write('resnet18_w1_negative_var.pth', torch_save(sd))
    sd = OrderedDict((k, v[:0] if k.startswith(('conv1.', 'bn1.')) and v.dim() else v) for k, v in resnet18_state(1).items())
    write('resnet18_w0.pth', torch_save(sd))


def defect9_formats():
    values = torch.tensor([[1.0, -2.5, 3.140625, 1e-3], [65504.0, -0.0, 1e30, 7.0]], dtype=torch.bfloat16)
    write('bf16.pth', torch_save({'w': values}))
    raw = values.view(torch.int16).numpy().astype('<i2').tobytes()
    header = ('{"w":{"dtype":"BF16","shape":[2,4],"data_offsets":[0,%d]}}' % len(raw)).encode()
    header += b' ' * ((8 - len(header) % 8) % 8)
    write('bf16.safetensors', struct.pack('<Q', len(header)) + header + raw)
    # Two entries named archive/data/0: Python's zipfile (and fflate) read the last, PyTorch's miniz may pick either.
    dup = torch_zip(p_state_dict([('w', p_tensor('FloatStorage', '0', 2, 0, [2], [1]))]), {'0': f32([1, 2])}, duplicate=('0', f32([-1, -2])))
    write('duplicate_entry.pth', dup)
    try:
        got = torch.load(os.path.join(OUT, 'duplicate_entry.pth'))['w'].tolist()
        print(f'  torch.load(duplicate_entry.pth) gives {got}')
    except Exception as e:  # noqa: BLE001
        print(f'  torch.load(duplicate_entry.pth) fails: {str(e).splitlines()[0][:200]}')


def big(dest):
    os.makedirs(dest, exist_ok=True)
    for name, data in [('int_digits_100mb.pkl', int_digits(100 * 2 ** 20)), ('p0_string_32mb.pkl', p0_string(32 * 2 ** 20)),
                       ('p0_unicode_32mb.pkl', p0_unicode(32 * 2 ** 20)), ('many_storages_20000.pth', many_storages(20000))]:
        with open(os.path.join(dest, name), 'wb') as f:
            f.write(data)
        print(f'{dest}/{name}: {len(data)} bytes')


def main():
    os.makedirs(OUT, exist_ok=True)
    defect1_views()
    defect2_zip_bomb()
    defect4_pickle_keys()
    defect6_names()
    defect8_values()
    defect9_formats()
    if '--big' in sys.argv:
        big(sys.argv[sys.argv.index('--big') + 1])


if __name__ == '__main__':
    main()
