// A Python pickle reader for weight files: an interpreter of the pickle opcodes (protocols 0 to 5)
// whose GLOBAL/STACK_GLOBAL only accepts a WHITELIST of constructors (numpy arrays and dtypes,
// torch tensors and storages, OrderedDict, bytes). Any other global stops it with an error naming
// the global: nothing from the file is ever executed. Every length is bounded by the bytes
// available, and the stack, memo and mark depth are limited, so hostile or truncated files end in
// a PickleError, never a hang or a crash. Pure TypeScript on a Uint8Array (browser worker + Node).
import { halfToFloat } from './half.ts';

class PickleError extends Error {}

/** A Python 2 `str` (BINSTRING/SHORT_BINSTRING/STRING): raw bytes, text read as latin-1. */
class Str8 {
  constructor(readonly bytes: Uint8Array) {}
  text(): string {
    return latin1(this.bytes);
  }
}

/** A long unicode string kept as its UTF-8 bytes until needed (array payloads in protocol 2). */
class LazyUnicode {
  private cached: string | null = null;
  constructor(readonly utf8: Uint8Array) {}
  text(): string {
    if (this.cached === null) this.cached = utf8Decode(this.utf8);
    return this.cached;
  }
}

export class PyTuple {
  constructor(readonly items: PyValue[]) {}
}

type DictKey = string | number | bigint | boolean | null;

export class PyDict {
  readonly map = new Map<DictKey, PyValue>();
  constructor(readonly className = 'dict') {}
}

/** numpy dtype: kind f/i/u/b, item size in bytes, byte order '<' '>' '|'. */
class NpDType {
  constructor(
    public kind: string,
    public itemSize: number,
    public order: string,
  ) {}
  get str(): string {
    return `${this.order}${this.kind}${this.itemSize}`;
  }
}

/** A numpy array rebuilt from `_reconstruct` + BUILD or `_frombuffer`: raw bytes + layout. */
export class NdArray {
  shape: number[] = [0];
  dtype: NpDType | null = null;
  fortran = false;
  data: Uint8Array | null = null;
}

/** A torch storage named by a persistent id ('storage', torch.FloatStorage, key, location, numel). */
export class StorageRef {
  constructor(
    readonly storageType: string,
    readonly key: string,
    readonly location: string,
    readonly numel: number,
  ) {}
}

/** A tensor view of a storage (torch._utils._rebuild_tensor_v2). Offsets and strides in elements. */
export class TensorRef {
  constructor(
    readonly storage: StorageRef,
    readonly offset: number,
    readonly size: number[],
    readonly stride: number[],
  ) {}
}

/** A whitelisted global (callable) on the stack. */
export class GlobalRef {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get full(): string {
    return `${this.module}.${this.name}`;
  }
}

export type PyValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Str8
  | LazyUnicode
  | PyTuple
  | PyValue[]
  | PyDict
  | Set<DictKey>
  | NdArray
  | NpDType
  | StorageRef
  | TensorRef
  | GlobalRef
  | { scalar: number | bigint };

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

const MAX_STACK = 1 << 20;
const MAX_MEMO = 1 << 22;
const MAX_MARKS = 10_000;
const MAX_LONG_BYTES = 4096;
/** Digits of a protocol-0 INT/LONG: Python's own limit on int ↔ str conversion (sys.int_info). */
const MAX_INT_DIGITS = 4300;
/** A GLOBAL/INST module or name line, a FLOAT line, a PUT/GET index line, a PERSID line. */
const MAX_NAME_LINE = 1024;
const MAX_FLOAT_LINE = 64;
const MAX_INDEX_LINE = 20;
/** A dict key built from a tuple, in characters (real state_dict keys are strings of < 200). */
const MAX_KEY_CHARS = 4096;
/**
 * What the interpreter may materialise beyond the file's own bytes (copies made by
 * _codecs.encode/bytes, protocol-0 strings, text keys): a multiple of the pickle's size, so that
 * a value stored once and fetched from the memo many times cannot cost more than the file holds.
 */
const WORK_FACTOR = 4;
const WORK_FLOOR = 16 * 1024 * 1024;
/** Strings and unicode longer than this are kept lazily. */
const LAZY_UNICODE = 4096;

/** Storage class → dtype. A Map: a name from a file ("constructor", "__proto__") finds only these. */
export const TORCH_STORAGES: ReadonlyMap<string, string> = new Map([
  ['FloatStorage', 'float32'],
  ['DoubleStorage', 'float64'],
  ['HalfStorage', 'float16'],
  ['BFloat16Storage', 'bfloat16'],
  ['LongStorage', 'int64'],
  ['IntStorage', 'int32'],
  ['ShortStorage', 'int16'],
  ['CharStorage', 'int8'],
  ['ByteStorage', 'uint8'],
  ['BoolStorage', 'bool'],
]);

/** The globals a weight pickle may name; everything else is refused. */
function whitelisted(module: string, name: string): boolean {
  const full = `${module}.${name}`;
  switch (full) {
    case 'collections.OrderedDict':
    case 'builtins.bytes':
    case 'builtins.bytearray':
    case 'builtins.set':
    case 'builtins.frozenset':
    case '_codecs.encode':
    case 'numpy.ndarray':
    case 'numpy.dtype':
    case 'numpy.core.multiarray._reconstruct':
    case 'numpy._core.multiarray._reconstruct':
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar':
    case 'numpy.core.numeric._frombuffer':
    case 'numpy._core.numeric._frombuffer':
    case 'torch._utils._rebuild_tensor_v2':
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
    case 'torch._tensor._rebuild_from_type_v2':
    case 'torch.nn.parameter.Parameter':
    case 'torch.Tensor':
    case 'torch.Size':
      return true;
  }
  return module === 'torch' && TORCH_STORAGES.has(name);
}

function refusedMessage(full: string): string {
  return `refused: the pickle references ${full}, which is not a tensor or array constructor`;
}

interface UnpickleOptions {
  /** Resolves a persistent id (torch.save storages); without it a persistent id is an error. */
  persistentLoad?: (pid: PyValue) => PyValue;
}

/** The budget of the running unpickle (one at a time: unpickle is synchronous). */
let work = { left: Infinity, limit: 0 };

function spend(n: number, what: string): void {
  work.left -= n;
  if (work.left < 0)
    throw new PickleError(`${what}: the pickle builds more than ${WORK_FACTOR}× its own size in copies (${work.limit} bytes); refused`);
}

export function latin1(b: Uint8Array): string {
  let s = '';
  // Short lines (GLOBAL names) one by one: spreading a small subarray costs more than the line.
  if (b.length <= 64) {
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, Math.min(b.length, i + 8192)));
  return s;
}

function utf8Decode(b: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    throw new PickleError('a unicode string is not valid UTF-8');
  }
}

/** `_codecs.encode(text, 'latin1')` for a UTF-8 payload, without building the JS string. */
function utf8ToLatin1(u: Uint8Array): Uint8Array {
  const out = new Uint8Array(u.length);
  let n = 0;
  for (let i = 0; i < u.length; i++) {
    const c = u[i];
    if (c < 0x80) out[n++] = c;
    else if ((c === 0xc2 || c === 0xc3) && i + 1 < u.length && (u[i + 1] & 0xc0) === 0x80) out[n++] = ((c & 0x03) << 6) | (u[++i] & 0x3f);
    else throw new PickleError("_codecs.encode(…, 'latin1'): a character outside latin-1");
  }
  return out.subarray(0, n);
}

export function textOf(v: PyValue | typeof MARK, what: string): string {
  if (typeof v === 'string') return v;
  if (v instanceof Str8 || v instanceof LazyUnicode) return v.text();
  throw new PickleError(`${what}: expected a string, got ${describe(v)}`);
}

export function describe(v: unknown): string {
  if (v === MARK) return 'a mark';
  if (v === null) return 'None';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'an object';
  return typeof v;
}

function dictKey(v: PyValue): DictKey {
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  if (v instanceof Str8 || v instanceof LazyUnicode) {
    const size = v instanceof Str8 ? v.bytes.length : v.utf8.length;
    if (size > MAX_KEY_CHARS * 4) throw new PickleError(`a dict key of ${size} bytes (more than ${MAX_KEY_CHARS} characters)`);
    spend(size, 'a dict key');
    return v.text();
  }
  if (v instanceof PyTuple) {
    // Tuples shared through the memo nest without limit ((t, t), ((t, t), (t, t)), …): the key's
    // text is built with a bound on its length, so each use costs at most that.
    const parts: string[] = [];
    let chars = 0;
    const add = (s: string) => {
      chars += s.length;
      if (chars > MAX_KEY_CHARS) throw new PickleError(`a dict key built from nested tuples runs past ${MAX_KEY_CHARS} characters`);
      parts.push(s);
    };
    const walk = (x: PyValue) => {
      if (!(x instanceof PyTuple)) return add(String(dictKey(x)));
      add('(');
      x.items.forEach((item, i) => {
        if (i) add(', ');
        walk(item);
      });
      add(')');
    };
    walk(v);
    spend(chars, 'a dict key');
    return parts.join('');
  }
  throw new PickleError(`a dict key of type ${describe(v)}`);
}

function intOf(v: PyValue, what: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new PickleError(`${what}: expected an integer, got ${describe(v)}`);
}

function seqOf(v: PyValue, what: string): PyValue[] {
  if (v instanceof PyTuple) return v.items;
  if (Array.isArray(v)) return v;
  throw new PickleError(`${what}: expected a tuple, got ${describe(v)}`);
}

function bytesOf(v: PyValue, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (v instanceof Str8) return v.bytes;
  if (v instanceof LazyUnicode) return (spend(v.utf8.length, what), utf8ToLatin1(v.utf8));
  if (typeof v === 'string') return (spend(3 * v.length, what), utf8ToLatin1(new TextEncoder().encode(v)));
  throw new PickleError(`${what}: expected bytes, got ${describe(v)}`);
}

function shapeOf(v: PyValue, what: string): number[] {
  const s = seqOf(v, what).map((d) => intOf(d, what));
  if (s.length > 32 || s.some((d) => d < 0))
    throw new PickleError(`${what}: bad shape [${s.slice(0, 8).join(', ')}${s.length > 8 ? ', …' : ''}]`);
  return s;
}

const NUMPY_NAMES = new Map([
  ['float16', 'f2'],
  ['float32', 'f4'],
  ['float64', 'f8'],
  ['int8', 'i1'],
  ['int16', 'i2'],
  ['int32', 'i4'],
  ['int64', 'i8'],
  ['uint8', 'u1'],
  ['uint16', 'u2'],
  ['uint32', 'u4'],
  ['uint64', 'u8'],
  ['bool', 'b1'],
  ['half', 'f2'],
  ['single', 'f4'],
  ['double', 'f8'],
]);

/** numpy dtype from its descriptor string ('f4', '<f8', 'i8', 'b1', 'float32', …). */
function parseNpDType(desc: string): NpDType {
  let d = NUMPY_NAMES.get(desc) ?? desc;
  let order = '|';
  if ('<>|='.includes(d[0] ?? '')) {
    order = d[0] === '=' ? '<' : d[0];
    d = d.slice(1);
  }
  const m = /^([fiub])(\d+)$/.exec(d);
  if (!m) throw new PickleError(`unsupported numpy dtype ${JSON.stringify(desc.slice(0, 40))}`);
  const size = Number(m[2]);
  const ok = { f: [2, 4, 8], i: [1, 2, 4, 8], u: [1, 2, 4, 8], b: [1] }[m[1] as 'f' | 'i' | 'u' | 'b'];
  if (!ok.includes(size)) throw new PickleError(`unsupported numpy dtype ${JSON.stringify(desc.slice(0, 40))}`);
  if (order === '|' && size > 1) order = '<';
  return new NpDType(m[1], size, order);
}

/** Applies a whitelisted callable. */
function call(fn: GlobalRef, args: PyValue[]): PyValue {
  const f = fn.full;
  switch (f) {
    case 'collections.OrderedDict': {
      const d = new PyDict('OrderedDict');
      if (args.length)
        for (const pair of seqOf(args[0], 'OrderedDict')) {
          const kv = seqOf(pair, 'OrderedDict item');
          if (kv.length !== 2) throw new PickleError('OrderedDict: an item is not a pair');
          d.map.set(dictKey(kv[0]), kv[1]);
        }
      return d;
    }
    case 'builtins.bytes':
    case 'builtins.bytearray':
      if (!args.length) return new Uint8Array(0);
      if (args.length === 2) return call(new GlobalRef('_codecs', 'encode'), args);
      return (spend(bytesOf(args[0], f).length, f), bytesOf(args[0], f).slice());
    case 'builtins.set':
    case 'builtins.frozenset':
      return new Set(args.length ? seqOf(args[0], f).map(dictKey) : []);
    case '_codecs.encode': {
      const enc = args.length > 1 ? textOf(args[1], '_codecs.encode').toLowerCase().replace('_', '-') : 'utf-8';
      if (enc !== 'latin1' && enc !== 'latin-1' && enc !== 'iso-8859-1')
        throw new PickleError(`_codecs.encode: unsupported encoding ${enc}`);
      return bytesOf(args[0], '_codecs.encode');
    }
    case 'numpy.dtype': {
      return parseNpDType(textOf(args[0], 'numpy.dtype'));
    }
    case 'numpy.core.multiarray._reconstruct':
    case 'numpy._core.multiarray._reconstruct': {
      const cls = args[0];
      if (!(cls instanceof GlobalRef && cls.full === 'numpy.ndarray')) throw new PickleError(`${f}: only numpy.ndarray can be rebuilt`);
      return new NdArray();
    }
    case 'numpy.core.multiarray.scalar':
    case 'numpy._core.multiarray.scalar': {
      const dt = args[0];
      if (!(dt instanceof NpDType)) throw new PickleError(`${f}: expected a dtype`);
      const a = new NdArray();
      a.shape = [];
      a.dtype = dt;
      a.data = bytesOf(args[1], f);
      return { scalar: scalarOf(a) };
    }
    case 'numpy.core.numeric._frombuffer':
    case 'numpy._core.numeric._frombuffer': {
      const [buf, dt, shape, order] = args;
      if (!(dt instanceof NpDType)) throw new PickleError(`${f}: expected a dtype`);
      const a = new NdArray();
      a.data = bytesOf(buf, f);
      a.dtype = dt;
      a.shape = shapeOf(shape, f);
      a.fortran = order !== undefined && textOf(order, f) === 'F';
      return a;
    }
    case 'torch._utils._rebuild_tensor':
    case 'torch._utils._rebuild_tensor_v2': {
      const [storage, offset, size, stride] = args;
      if (!(storage instanceof StorageRef)) throw new PickleError(`${f}: the storage is ${describe(storage)}, not a persistent storage`);
      return new TensorRef(
        storage,
        intOf(offset, f),
        shapeOf(size, f),
        seqOf(stride, f).map((s) => intOf(s, f)),
      );
    }
    case 'torch._utils._rebuild_parameter':
    case 'torch._utils._rebuild_parameter_with_state':
      if (!(args[0] instanceof TensorRef)) throw new PickleError(`${f}: expected a tensor`);
      return args[0];
    case 'torch._tensor._rebuild_from_type_v2': {
      const [fn2, , a2] = args;
      if (!(fn2 instanceof GlobalRef)) throw new PickleError(`${f}: expected a function`);
      // A list can hold itself: calling this from itself would recurse without end.
      if (fn2.full === f) throw new PickleError(`${f}: rebuilds itself`);
      return call(fn2, seqOf(a2, f));
    }
    case 'torch.nn.parameter.Parameter':
      if (!(args[0] instanceof TensorRef)) throw new PickleError(`${f}: expected a tensor`);
      return args[0];
    case 'torch.Size':
      return new PyTuple(args.length ? seqOf(args[0], f) : []);
  }
  throw new PickleError(`${f} cannot be called`);
}

function scalarOf(a: NdArray): number | bigint {
  const dt = a.dtype!;
  const b = a.data!;
  if (b.length < dt.itemSize) throw new PickleError('numpy scalar: too few bytes');
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const le = dt.order !== '>';
  if (dt.kind === 'f')
    return dt.itemSize === 8 ? v.getFloat64(0, le) : dt.itemSize === 4 ? v.getFloat32(0, le) : halfToFloat(v.getUint16(0, le));
  if (dt.kind === 'b') return v.getUint8(0);
  const signed = dt.kind === 'i';
  switch (dt.itemSize) {
    case 1:
      return signed ? v.getInt8(0) : v.getUint8(0);
    case 2:
      return signed ? v.getInt16(0, le) : v.getUint16(0, le);
    case 4:
      return signed ? v.getInt32(0, le) : v.getUint32(0, le);
    default:
      return signed ? v.getBigInt64(0, le) : v.getBigUint64(0, le);
  }
}

/** BUILD: sets the state of an object made by a whitelisted constructor. */
function build(obj: PyValue, state: PyValue): void {
  if (obj instanceof NdArray) {
    const s = seqOf(state, 'ndarray state');
    const st = s.length === 5 ? s.slice(1) : s;
    if (st.length !== 4) throw new PickleError(`ndarray state: ${s.length} items`);
    const [shape, dtype, fortran, raw] = st;
    if (!(dtype instanceof NpDType)) throw new PickleError('ndarray state: no dtype');
    if (Array.isArray(raw)) throw new PickleError('ndarray state: an object array (not numeric data)');
    obj.shape = shapeOf(shape, 'ndarray shape');
    obj.dtype = dtype;
    obj.fortran = !!fortran;
    obj.data = bytesOf(raw, 'ndarray data');
    return;
  }
  if (obj instanceof NpDType) {
    const s = seqOf(state, 'dtype state');
    if (s.length >= 2) {
      const order = textOf(s[1], 'dtype byte order');
      if (!'<>|='.includes(order) || order.length !== 1) throw new PickleError(`dtype byte order ${JSON.stringify(order)}`);
      if (order !== '|') obj.order = order === '=' ? '<' : order;
    }
    if (s.length >= 5 && (s[3] !== null || s[4] !== null)) throw new PickleError('structured numpy dtypes are not supported');
    if (s.length >= 3 && s[2] !== null) throw new PickleError('numpy sub-array dtypes are not supported');
    return;
  }
  // Attribute state (e.g. a state_dict's `_metadata`) on dicts and tensors: kept out, harmless.
  if (obj instanceof PyDict || obj instanceof TensorRef) return;
  throw new PickleError(`BUILD on ${describe(obj)}`);
}

/**
 * Runs the pickle starting at `start`; returns the value at STOP and the offset after it.
 */
export function unpickle(bytes: Uint8Array, opts: UnpickleOptions = {}, start = 0): { value: PyValue; end: number } {
  const outer = work;
  const limit = WORK_FACTOR * (bytes.length - start) + WORK_FLOOR;
  work = { left: limit, limit };
  try {
    return run(bytes, opts, start);
  } finally {
    work = outer;
  }
}

function run(bytes: Uint8Array, opts: UnpickleOptions, start: number): { value: PyValue; end: number } {
  const n = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = start;
  const stack: StackItem[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  const need = (k: number, what: string) => {
    if (!(k >= 0) || k > n - pos)
      throw new PickleError(`truncated: ${what} needs ${k} bytes at offset ${pos}, ${Math.max(0, n - pos)} left`);
  };
  const take = (k: number, what: string): Uint8Array => {
    need(k, what);
    const b = bytes.subarray(pos, pos + k);
    pos += k;
    return b;
  };
  const u8 = () => (need(1, 'an argument'), bytes[pos++]);
  const u16 = () => (need(2, 'an argument'), (pos += 2), view.getUint16(pos - 2, true));
  const u32 = () => (need(4, 'an argument'), (pos += 4), view.getUint32(pos - 4, true));
  const u64 = (what: string) => {
    need(8, what);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(n)) throw new PickleError(`truncated: ${what} of ${v} bytes in a file of ${n} bytes`);
    return Number(v);
  };
  /** The bytes up to the next newline; refused past `max` bytes, before anything is decoded. */
  const lineBytes = (what: string, max: number): Uint8Array => {
    const end = bytes.subarray(pos, Math.min(n, pos + max + 1)).indexOf(0x0a);
    if (end < 0) {
      if (pos + max + 1 <= n) throw new PickleError(`${what}: a line longer than ${max} bytes`);
      throw new PickleError(`truncated: ${what} has no end of line`);
    }
    const b = bytes.subarray(pos, pos + end);
    pos += end + 1;
    return b;
  };
  const line = (what: string, max: number): string => latin1(lineBytes(what, max));
  const push = (v: StackItem) => {
    if (stack.length >= MAX_STACK) throw new PickleError('the pickle stack grew too large');
    stack.push(v);
  };
  const pop = (): PyValue => {
    if (stack.length <= (marks.length ? marks[marks.length - 1] : 0)) throw new PickleError(`stack underflow at offset ${pos - 1}`);
    const v = stack.pop()!;
    if (v === MARK) throw new PickleError('unexpected mark');
    return v;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (stack.length === 0 || v === MARK) throw new PickleError(`stack underflow at offset ${pos - 1}`);
    return v;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) throw new PickleError('no mark on the stack');
    const items = stack.splice(m) as PyValue[];
    stack.pop(); // the MARK itself
    return items;
  };
  const pushMark = () => {
    if (marks.length >= MAX_MARKS) throw new PickleError('too many nested marks');
    push(MARK);
    marks.push(stack.length);
  };
  const memoPut = (i: number, v: PyValue) => {
    if (memo.size >= MAX_MEMO && !memo.has(i)) throw new PickleError('the pickle memo grew too large');
    memo.set(i, v);
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) throw new PickleError(`memo entry ${i} was never stored`);
    return memo.get(i)!;
  };
  const global = (original: string, name: string): GlobalRef => {
    // Python 2 module names, as pickle's fix_imports maps them.
    const module = original === '__builtin__' ? 'builtins' : original === 'copy_reg' ? 'copyreg' : original;
    if (!whitelisted(module, name)) throw new PickleError(refusedMessage(`${original}.${name}`.slice(0, 200)));
    return new GlobalRef(module, name);
  };
  const unicode = (b: Uint8Array): PyValue => (b.length > LAZY_UNICODE ? new LazyUnicode(b) : utf8Decode(b));
  const setItems = (d: PyValue, items: PyValue[]) => {
    if (!(d instanceof PyDict)) throw new PickleError(`SETITEM on ${describe(d)}`);
    if (items.length % 2) throw new PickleError('SETITEMS with an odd number of items');
    for (let i = 0; i < items.length; i += 2) d.map.set(dictKey(items[i]), items[i + 1]);
  };
  const newObj = (cls: PyValue, args: PyValue[]): PyValue => {
    if (!(cls instanceof GlobalRef)) throw new PickleError(`cannot instantiate ${describe(cls)}`);
    return call(cls, args);
  };
  const persistent = (pid: PyValue) => {
    if (!opts.persistentLoad)
      throw new PickleError('the pickle has a persistent id (a torch storage outside a torch.save zip archive?): not supported here');
    return opts.persistentLoad(pid);
  };

  if (pos >= n) throw new PickleError('empty pickle');
  for (;;) {
    if (pos >= n) throw new PickleError('truncated: the pickle ends without STOP');
    const at = pos;
    const op = bytes[pos++];
    switch (op) {
      case 0x80: {
        // PROTO
        const p = u8();
        if (p > 5) throw new PickleError(`unsupported pickle protocol ${p}`);
        break;
      }
      case 0x95: // FRAME
        u64('a frame');
        break;
      case 0x2e: // STOP
        if (stack.length !== 1 || marks.length) {
          if (stack.length === 0) throw new PickleError('STOP on an empty stack');
        }
        return { value: pop(), end: pos };
      case 0x28:
        pushMark();
        break; // MARK
      case 0x30:
        pop();
        break; // POP
      case 0x31:
        popMark();
        break; // POP_MARK
      case 0x32:
        push(top());
        break; // DUP
      case 0x4e:
        push(null);
        break; // NONE
      case 0x88:
        push(true);
        break; // NEWTRUE
      case 0x89:
        push(false);
        break; // NEWFALSE
      case 0x49: {
        // INT
        const s = line('INT', MAX_INT_DIGITS + 2);
        if (s === '01' || s === '00') push(s === '01');
        else {
          if (!/^[-+]?\d+$/.test(s.trim())) throw new PickleError(`INT: bad value ${JSON.stringify(s.slice(0, 20))}`);
          const b = BigInt(s.trim());
          push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
        }
        break;
      }
      case 0x4c: {
        // LONG
        const s = line('LONG', MAX_INT_DIGITS + 3).replace(/L$/, '');
        if (!/^[-+]?\d+$/.test(s.trim())) throw new PickleError('LONG: bad value');
        const b = BigInt(s.trim());
        push(b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);
        break;
      }
      case 0x4a:
        need(4, 'BININT');
        push(view.getInt32(pos, true));
        pos += 4;
        break; // BININT
      case 0x4b:
        push(u8());
        break; // BININT1
      case 0x4d:
        push(u16());
        break; // BININT2
      case 0x8a: // LONG1
      case 0x8b: {
        // LONG4
        const k = op === 0x8a ? u8() : u32();
        if (k > MAX_LONG_BYTES) throw new PickleError(`LONG4 of ${k} bytes`);
        const b = take(k, 'LONG');
        let v = 0n;
        for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
        if (k && b[k - 1] & 0x80) v -= 1n << BigInt(8 * k);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x46: {
        // FLOAT
        const s = line('FLOAT', MAX_FLOAT_LINE);
        const v = Number(s);
        if (Number.isNaN(v) && !/nan/i.test(s)) throw new PickleError('FLOAT: bad value');
        push(v);
        break;
      }
      case 0x47:
        need(8, 'BINFLOAT');
        push(view.getFloat64(pos, false));
        pos += 8;
        break; // BINFLOAT
      case 0x53: {
        // STRING (protocol 0): a quoted Python repr
        const s = lineBytes('STRING', n);
        const q = s[0];
        if ((q !== 0x27 && q !== 0x22) || s[s.length - 1] !== q || s.length < 2) throw new PickleError('STRING: not a quoted string');
        spend(s.length, 'STRING');
        push(new Str8(unescapeRepr(s.subarray(1, -1))));
        break;
      }
      case 0x54: {
        const k = view.getInt32((need(4, 'BINSTRING'), pos), true);
        pos += 4;
        if (k < 0) throw new PickleError('BINSTRING: negative length');
        push(new Str8(take(k, 'BINSTRING')));
        break;
      }
      case 0x55:
        push(new Str8(take(u8(), 'SHORT_BINSTRING')));
        break;
      case 0x42:
        push(take(u32(), 'BINBYTES'));
        break;
      case 0x43:
        push(take(u8(), 'SHORT_BINBYTES'));
        break;
      case 0x8e:
        push(take(u64('BINBYTES8'), 'BINBYTES8'));
        break;
      case 0x96:
        push(take(u64('BYTEARRAY8'), 'BYTEARRAY8'));
        break;
      case 0x56: {
        // UNICODE (raw-unicode-escape)
        const s = lineBytes('UNICODE', n);
        spend(2 * s.length, 'UNICODE');
        push(unicode(rawUnicodeEscapeToUtf8(s)));
        break;
      }
      case 0x58:
        push(unicode(take(u32(), 'BINUNICODE')));
        break;
      case 0x8c:
        push(unicode(take(u8(), 'SHORT_BINUNICODE')));
        break;
      case 0x8d:
        push(unicode(take(u64('BINUNICODE8'), 'BINUNICODE8')));
        break;
      case 0x29:
        push(new PyTuple([]));
        break; // EMPTY_TUPLE
      case 0x74:
        push(new PyTuple(popMark()));
        break; // TUPLE
      case 0x85:
        push(new PyTuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        const a = pop();
        push(new PyTuple([a, b, c]));
        break;
      }
      case 0x5d:
        push([]);
        break; // EMPTY_LIST
      case 0x6c:
        push(popMark());
        break; // LIST
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw new PickleError(`APPEND to ${describe(l)}`);
        l.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (Array.isArray(l)) for (const x of items) l.push(x);
        else throw new PickleError(`APPENDS to ${describe(l)}`);
        break;
      }
      case 0x7d:
        push(new PyDict());
        break; // EMPTY_DICT
      case 0x64: {
        const d = new PyDict();
        setItems(d, popMark());
        push(d);
        break;
      } // DICT
      case 0x73: {
        const v = pop();
        const k = pop();
        setItems(top(), [k, v]);
        break;
      } // SETITEM
      case 0x75: {
        const items = popMark();
        setItems(top(), items);
        break;
      } // SETITEMS
      case 0x8f:
        push(new Set<DictKey>());
        break; // EMPTY_SET
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw new PickleError(`ADDITEMS to ${describe(s)}`);
        for (const x of items) s.add(dictKey(x));
        break;
      }
      case 0x91:
        push(new Set(popMark().map(dictKey)));
        break; // FROZENSET
      case 0x63: {
        // GLOBAL
        const module = line('GLOBAL', MAX_NAME_LINE);
        const name = line('GLOBAL', MAX_NAME_LINE);
        push(global(module, name));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = nameOf(pop(), 'STACK_GLOBAL name');
        const module = nameOf(pop(), 'STACK_GLOBAL module');
        push(global(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof GlobalRef)) throw new PickleError(`REDUCE on ${describe(fn)}, not a whitelisted callable`);
        push(call(fn, seqOf(args, `${fn.full} arguments`)));
        break;
      }
      case 0x62: {
        const state = pop();
        build(top(), state);
        break;
      } // BUILD
      case 0x81: {
        const args = pop();
        const cls = pop();
        push(newObj(cls, seqOf(args, 'NEWOBJ arguments')));
        break;
      }
      case 0x92: {
        const kw = pop();
        const args = pop();
        const cls = pop();
        void kw;
        push(newObj(cls, seqOf(args, 'NEWOBJ_EX arguments')));
        break;
      }
      case 0x69: {
        // INST
        const module = line('INST', MAX_NAME_LINE);
        const name = line('INST', MAX_NAME_LINE);
        const cls = global(module, name);
        push(newObj(cls, popMark()));
        break;
      }
      case 0x6f: {
        const items = popMark();
        if (!items.length) throw new PickleError('OBJ without a class');
        push(newObj(items[0], items.slice(1)));
        break;
      }
      case 0x70: {
        const s = line('PUT', MAX_INDEX_LINE);
        if (!/^\d+$/.test(s)) throw new PickleError('PUT: bad index');
        memoPut(Number(s), top());
        break;
      }
      case 0x71:
        memoPut(u8(), top());
        break; // BINPUT
      case 0x72:
        memoPut(u32(), top());
        break; // LONG_BINPUT
      case 0x94:
        memoPut(memo.size, top());
        break; // MEMOIZE
      case 0x67: {
        const s = line('GET', MAX_INDEX_LINE);
        if (!/^\d+$/.test(s)) throw new PickleError('GET: bad index');
        push(memoGet(Number(s)));
        break;
      }
      case 0x68:
        push(memoGet(u8()));
        break; // BINGET
      case 0x6a:
        push(memoGet(u32()));
        break; // LONG_BINGET
      case 0x50:
        push(persistent(line('PERSID', MAX_NAME_LINE)));
        break; // PERSID
      case 0x51:
        push(persistent(pop()));
        break; // BINPERSID
      case 0x82:
      case 0x83:
      case 0x84:
        throw new PickleError(
          'refused: the pickle uses the copyreg extension registry (EXT opcodes), which is not a tensor or array constructor',
        );
      case 0x97:
        throw new PickleError('the pickle expects out-of-band buffers (NEXT_BUFFER): not supported');
      case 0x98:
        break; // READONLY_BUFFER: no-op on an in-band buffer
      default:
        throw new PickleError(`not a valid pickle: unknown opcode 0x${op.toString(16).padStart(2, '0')} at offset ${at}`);
    }
  }
}

/** A module or class name from the stack: text, refused past MAX_NAME_LINE bytes before it is decoded. */
function nameOf(v: PyValue, what: string): string {
  const size = v instanceof Str8 ? v.bytes.length : v instanceof LazyUnicode ? v.utf8.length : typeof v === 'string' ? v.length : 0;
  if (size > MAX_NAME_LINE) throw new PickleError(`${what}: ${size} bytes long`);
  return textOf(v, what);
}

const SIMPLE_ESCAPES = new Map<number, number>([
  [0x6e, 10],
  [0x72, 13],
  [0x74, 9],
  [0x5c, 92],
  [0x27, 39],
  [0x22, 34],
  [0x61, 7],
  [0x62, 8],
  [0x66, 12],
  [0x76, 11],
  [0x30, 0],
]);

const hexValue = (c: number) =>
  c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1;

/** Protocol 0 STRING payload: Python string escapes → bytes, in one buffer no larger than the payload. */
function unescapeRepr(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== 0x5c) {
      out[n++] = c;
      continue;
    }
    const e = s[++i];
    const simple = e === undefined ? undefined : SIMPLE_ESCAPES.get(e);
    if (e === 0x78) {
      const hi = hexValue(s[i + 1] ?? -1);
      const lo = hexValue(s[i + 2] ?? -1);
      if (hi < 0 || lo < 0) throw new PickleError('STRING: a bad \\x escape');
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (simple !== undefined) out[n++] = simple;
    else {
      out[n++] = 92;
      if (e !== undefined) out[n++] = e;
    }
  }
  return out.subarray(0, n);
}

/**
 * Protocol 0 UNICODE payload (raw-unicode-escape: latin-1 bytes, \uXXXX and \UXXXXXXXX) → UTF-8,
 * in one buffer of at most twice the payload.
 */
function rawUnicodeEscapeToUtf8(s: Uint8Array): Uint8Array {
  const out = new Uint8Array(2 * s.length);
  let n = 0;
  const put = (cp: number) => {
    if (cp < 0x80) out[n++] = cp;
    else if (cp < 0x800) (out[n++] = 0xc0 | (cp >> 6)), (out[n++] = 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) (out[n++] = 0xe0 | (cp >> 12)), (out[n++] = 0x80 | ((cp >> 6) & 0x3f)), (out[n++] = 0x80 | (cp & 0x3f));
    else
      (out[n++] = 0xf0 | (cp >> 18)),
        (out[n++] = 0x80 | ((cp >> 12) & 0x3f)),
        (out[n++] = 0x80 | ((cp >> 6) & 0x3f)),
        (out[n++] = 0x80 | (cp & 0x3f));
  };
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    const digits = c === 0x5c && s[i + 1] === 0x75 ? 4 : c === 0x5c && s[i + 1] === 0x55 ? 8 : 0;
    let cp = digits ? 0 : -1;
    for (let k = 0; k < digits; k++) {
      const h = hexValue(s[i + 2 + k] ?? -1);
      if (h < 0) {
        cp = -1;
        break;
      }
      cp = cp * 16 + h;
    }
    if (digits && cp >= 0) {
      if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new PickleError('UNICODE: an escape outside Unicode');
      put(cp);
      i += 1 + digits;
    } else put(c);
  }
  return out.subarray(0, n);
}
