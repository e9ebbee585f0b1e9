/**
 * PyTorch checkpoints without Python: `torch.save` zip archives
 * (`<root>/data.pkl` + `<root>/data/<key>` storages), the legacy non-zip
 * format, and plain pickles of modules (NVlabs `network-snapshot.pkl`, whose
 * tensors are legacy `torch.save` bytes inside the pickle). Decodes to a
 * {@link StateDict}; nothing in the file is ever executed.
 *
 * Pure: no file-system access (see `load.ts` for reading files).
 *
 * @module
 */
import { WeightsError } from '../../core/errors.ts';
import type { StateDict, StoredDType, StoredTensor } from '../state-dict.ts';
import { isAllowedTorchGlobal, PickleError, PickleGlobalError, PyGlobal, PyObject, unpickle, type PyCallTable } from './pickle.ts';
import { isZip, readZip, ZipError } from './zip.ts';

// ---------------------------------------------------------------------------
// Storages and tensors
// ---------------------------------------------------------------------------

const STORAGE_TYPES: Readonly<Record<string, readonly [StoredDType, number]>> = {
  FloatStorage: ['float32', 4], HalfStorage: ['float16', 2], BFloat16Storage: ['bfloat16', 2],
  DoubleStorage: ['float64', 8], LongStorage: ['int64', 8], IntStorage: ['int32', 4],
  ShortStorage: ['int16', 2], CharStorage: ['int8', 1], ByteStorage: ['uint8', 1], BoolStorage: ['bool', 1],
};

/**
 * A typed storage: its dtype and its bytes (bound lazily for legacy files).
 *
 * @example
 * ```ts
 * const s = new TorchStorage('float32', 4, () => bytes);
 * ```
 */
export class TorchStorage {
  /** Raw little-endian bytes; set once read (legacy files store data after the pickle). */
  bytes: Uint8Array | undefined;
  constructor(
    /** Element type. */ readonly dtype: StoredDType,
    /** Bytes per element. */ readonly elementSize: number,
    /** Reads the bytes on first use (zip archives). */ private readonly load?: () => Uint8Array,
    /** For legacy views: the root storage and the element offset into it. */ readonly base?: {
      /** The root storage this one views. */
      readonly storage: TorchStorage;
      /** First element of the view, in the root storage's elements. */
      readonly offset: number;
      /** Elements in the view. */
      readonly numel: number;
    },
  ) {}
  /** This storage's bytes. */
  data(): Uint8Array {
    if (this.base) {
      const b = this.base.storage.data();
      const start = this.base.offset * this.elementSize;
      const end = start + this.base.numel * this.elementSize;
      if (end > b.length) throw new PickleError(`storage view [${start}, ${end}) exceeds its root storage of ${b.length} bytes`);
      return b.subarray(start, end);
    }
    if (this.bytes === undefined && this.load) this.bytes = this.load();
    if (this.bytes === undefined) throw new PickleError('storage data missing');
    return this.bytes;
  }
}

/**
 * A tensor as pickled: a strided view of a storage.
 *
 * @example
 * ```ts
 * const t = new TorchTensor(storage, 0, [2, 3], [3, 1]);
 * ```
 */
export class TorchTensor {
  constructor(
    /** Backing storage. */ readonly storage: TorchStorage,
    /** Offset into the storage, in elements. */ readonly offset: number,
    /** Shape. */ readonly shape: readonly number[],
    /** Strides, in elements. */ readonly stride: readonly number[],
  ) {}
}

/** Largest tensor materialised from a smaller storage (stride-0 / overlapping views). */
const MAX_BROADCAST_ELEMENTS = 1 << 24;

const halfToFloat = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + f / 1024) * 2 ** (e - 15);
};

/**
 * Materialise a (possibly non-contiguous) tensor, floats widened to float32.
 *
 * @example
 * ```ts
 * const stored = materialize(new TorchTensor(storage, 0, [3, 2], [1, 3])); // a transposed view, made contiguous
 * ```
 */
export const materialize = (t: TorchTensor): StoredTensor => {
  const { storage, offset, shape, stride } = t;
  const bytes = storage.data();
  const es = storage.elementSize;
  const available = Math.floor(bytes.length / es);
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0) || stride.length !== shape.length || stride.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new PickleError(`bad tensor shape [${shape.join(',')}] / stride [${stride.join(',')}]: expected non-negative integers of equal rank`);
  }
  // A view may repeat storage elements (stride 0, overlapping strides: `expand()`), but not into a size the file cannot justify.
  if (n > available && n > MAX_BROADCAST_ELEMENTS) {
    throw new PickleError(`tensor view of shape [${shape.join(',')}] (${n} elements) repeats a storage of ${available} elements beyond the ${MAX_BROADCAST_ELEMENTS}-element limit for broadcast views`);
  }
  let maxIndex = offset;
  for (let i = 0; i < shape.length; i++) if (shape[i]! > 0) maxIndex += (shape[i]! - 1) * stride[i]!;
  if (n > 0 && (offset < 0 || maxIndex >= available)) {
    throw new PickleError(`tensor view (offset ${offset}, shape [${shape.join(',')}], stride [${stride.join(',')}]) exceeds its storage of ${available} elements`);
  }
  // Fast path: contiguous float32 (the common case) is a byte copy.
  let contiguous = true;
  for (let d = shape.length - 1, expect = 1; d >= 0; expect *= shape[d]!, d--) if (shape[d]! > 1 && stride[d] !== expect) contiguous = false;
  if (contiguous && storage.dtype === 'float32') {
    const copy = new Uint8Array(n * es); // (Buffer.slice would be a view: copy explicitly)
    copy.set(bytes.subarray(offset * es, (offset + n) * es));
    return { dtype: 'float32', shape: [...shape], data: new Float32Array(copy.buffer, 0, n) };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Source element indices, row-major over the output.
  const src = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  let cur = offset;
  for (let k = 0; k < n; k++) {
    src[k] = cur;
    for (let d = shape.length - 1; d >= 0; d--) {
      idx[d]!++;
      cur += stride[d]!;
      if (idx[d]! < shape[d]!) break;
      cur -= stride[d]! * shape[d]!;
      idx[d] = 0;
    }
  }
  const dtype = storage.dtype;
  const out = (read: (byteOffset: number) => number, make: (m: number) => Float32Array | Int32Array | Uint8Array | Float64Array) => {
    const a = make(n);
    for (let k = 0; k < n; k++) a[k] = read(src[k]! * es);
    return a;
  };
  switch (dtype) {
    case 'float32': return { dtype, shape: [...shape], data: out((o) => view.getFloat32(o, true), (m) => new Float32Array(m)) };
    case 'float64': return { dtype, shape: [...shape], data: out((o) => view.getFloat64(o, true), (m) => new Float32Array(m)) };
    case 'float16': return { dtype, shape: [...shape], data: out((o) => halfToFloat(view.getUint16(o, true)), (m) => new Float32Array(m)) };
    case 'bfloat16': {
      const tmp = new DataView(new ArrayBuffer(4));
      return { dtype, shape: [...shape], data: out((o) => { tmp.setUint32(0, view.getUint16(o, true) << 16, true); return tmp.getFloat32(0, true); }, (m) => new Float32Array(m)) };
    }
    case 'int32': return { dtype, shape: [...shape], data: out((o) => view.getInt32(o, true), (m) => new Int32Array(m)) };
    case 'int16': return { dtype, shape: [...shape], data: out((o) => view.getInt16(o, true), (m) => new Int32Array(m)) };
    case 'int8': return { dtype, shape: [...shape], data: out((o) => view.getInt8(o), (m) => new Int32Array(m)) };
    case 'uint8': case 'bool': return { dtype, shape: [...shape], data: out((o) => view.getUint8(o), (m) => new Uint8Array(m)) };
    case 'int64': {
      const wide = new Float64Array(n);
      let fits = true;
      for (let k = 0; k < n; k++) {
        const v = Number(view.getBigInt64(src[k]! * es, true));
        wide[k] = v;
        if (v > 2147483647 || v < -2147483648) fits = false;
      }
      return { dtype, shape: [...shape], data: fits ? Int32Array.from(wide) : wide };
    }
  }
};

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;

/**
 * Which pickle globals a reader may resolve (`module.name` → allowed); the default is the tensor-rebuild
 * allow-list ({@link isAllowedTorchGlobal}).
 *
 * @example
 * ```ts
 * const allow: AllowGlobal = (g) => isAllowedTorchGlobal(g) || g === 'mypkg.Config';
 * ```
 */
export type AllowGlobal = (qualified: string) => boolean;

const storageType = (t: unknown): readonly [StoredDType, number] => {
  const name = t instanceof PyGlobal ? t.name : String(t);
  const st = STORAGE_TYPES[name];
  if (!st) throw new PickleError(`unsupported storage type ${t instanceof PyGlobal ? t.qualified : name}`);
  return st;
};

const num = (v: unknown, what: string): number => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'bigint') return Number(v);
  throw new PickleError(`${what} must be an integer, got ${typeof v}`);
};
const nums = (v: unknown, what: string): number[] => {
  if (!Array.isArray(v)) throw new PickleError(`${what} must be a tuple`);
  return v.map((x) => num(x, what));
};

const rebuildTensor = (args: readonly unknown[]): unknown => {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) return new PyObject(new PyGlobal('torch', 'Tensor'), args);
  return new TorchTensor(storage, num(offset, 'storage_offset'), nums(size, 'size'), nums(stride, 'stride'));
};

const makeCalls = (where: string, allowGlobal: AllowGlobal): PyCallTable => new Map<string, (args: readonly unknown[]) => unknown>([
  ['collections.OrderedDict', () => new Map()],
  ['builtins.set', (a) => (Array.isArray(a[0]) ? [...a[0]] : [])],
  ['builtins.frozenset', (a) => (Array.isArray(a[0]) ? [...a[0]] : [])],
  ['__builtin__.set', (a) => (Array.isArray(a[0]) ? [...a[0]] : [])],
  ['torch._utils._rebuild_tensor_v2', rebuildTensor],
  ['torch._utils._rebuild_tensor', rebuildTensor],
  ['torch._utils._rebuild_parameter', (a) => a[0]],
  ['torch._utils._rebuild_parameter_with_state', (a) => a[0]],
  ['torch._tensor._rebuild_from_type_v2', (a) => {
    const [fn, , args] = a;
    const calls = makeCalls(where, allowGlobal);
    const f = fn instanceof PyGlobal ? calls.get(fn.qualified) : undefined;
    return f && Array.isArray(args) ? f(args) : new PyObject(fn, Array.isArray(args) ? args : []);
  }],
  ['_codecs.encode', (a) => (typeof a[0] === 'string' ? Uint8Array.from(a[0], (c) => c.charCodeAt(0) & 0xff) : a[0])],
  ['torch.storage._load_from_bytes', (a) => (a[0] instanceof Uint8Array ? parseTorchBytes(a[0], `${where} (embedded storage)`, allowGlobal) : new PyObject(null, a))],
  ['torch.serialization._load_from_bytes', (a) => (a[0] instanceof Uint8Array ? parseTorchBytes(a[0], `${where} (embedded storage)`, allowGlobal) : new PyObject(null, a))],
  ['torch_utils.persistence._reconstruct_persistent_obj', (a) => {
    const meta = a[0];
    const className = meta instanceof Map ? String(meta.get('class_name') ?? 'object') : 'object';
    const obj = new PyObject(new PyGlobal('<persistent>', className), []);
    obj.state = meta instanceof Map ? meta.get('state') : undefined;
    return obj;
  }],
]);

const parseZip = (bytes: Uint8Array, where: string, allowGlobal: AllowGlobal): unknown => {
  const entries = readZip(bytes);
  const pkl = [...entries.keys()].filter((k) => k === 'data.pkl' || k.endsWith('/data.pkl')).sort((a, b) => a.length - b.length)[0];
  if (pkl === undefined) throw new PickleError(`zip archive has no data.pkl (entries: ${[...entries.keys()].slice(0, 5).join(', ')})`);
  const root = pkl.slice(0, pkl.length - 'data.pkl'.length);
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown): unknown => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') return new PyObject(new PyGlobal('<persistent>', 'id'), [pid]);
    const key = String(pid[2]);
    let s = storages.get(key);
    if (!s) {
      const [dtype, es] = storageType(pid[1]);
      const entry = entries.get(`${root}data/${key}`);
      if (!entry) throw new PickleError(`storage ${root}data/${key} missing from the archive`);
      s = new TorchStorage(dtype, es, () => entry.data());
      storages.set(key, s);
    }
    return s;
  };
  return unpickle(entries.get(pkl)!.data(), 0, { persistentLoad, calls: makeCalls(where, allowGlobal), allowGlobal }).value;
};

const parseLegacy = (bytes: Uint8Array, start: number, where: string, allowGlobal: AllowGlobal): unknown => {
  const calls = makeCalls(where, allowGlobal);
  const protocol = unpickle(bytes, start, { calls, allowGlobal });
  if (protocol.value !== 1001) throw new PickleError(`legacy protocol version ${String(protocol.value)} is not 1001`);
  const sysInfo = unpickle(bytes, protocol.end, { calls, allowGlobal });
  const roots = new Map<string, TorchStorage>();
  const persistentLoad = (pid: unknown): unknown => {
    if (!Array.isArray(pid) || pid[0] !== 'storage') return new PyObject(new PyGlobal('<persistent>', 'id'), [pid]);
    const [, type, rootKey, , , viewMeta] = pid;
    const [dtype, es] = storageType(type);
    const key = String(rootKey);
    let root = roots.get(key);
    if (!root) { root = new TorchStorage(dtype, es); roots.set(key, root); }
    if (Array.isArray(viewMeta)) return new TorchStorage(dtype, es, undefined, { storage: root, offset: num(viewMeta[1], 'view offset'), numel: num(viewMeta[2], 'view size') });
    return root;
  };
  const main = unpickle(bytes, sysInfo.end, { calls, persistentLoad, allowGlobal });
  const keys = unpickle(bytes, main.end, { calls, allowGlobal });
  if (!Array.isArray(keys.value)) throw new PickleError('legacy storage key list missing');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = keys.end;
  for (const k of keys.value) {
    const s = roots.get(String(k));
    if (pos + 8 > bytes.length) throw new PickleError(`truncated: storage ${String(k)} header at offset ${pos} beyond file size ${bytes.length}`);
    const numel = Number(view.getBigInt64(pos, true));
    pos += 8;
    const nbytes = numel * (s?.elementSize ?? 1);
    if (numel < 0 || pos + nbytes > bytes.length) throw new PickleError(`truncated: storage ${String(k)} needs ${nbytes} bytes at offset ${pos}, file has ${bytes.length}`);
    if (s) s.bytes = bytes.subarray(pos, pos + nbytes);
    pos += nbytes;
  }
  return main.value;
};

/**
 * Parse a `torch.save` file (zip or legacy) or a plain pickle into an inert
 * Python value tree: dicts are `Map`s, tensors {@link TorchTensor}s, unknown
 * objects {@link PyObject} placeholders. Throws {@link WeightsError} naming
 * `where` on corrupt, truncated or unsupported input.
 *
 * @example
 * ```ts
 * const tree = parseTorchBytes(bytes, 'ckpt.pt'); // Map { 'g_ema' => Map {...}, 'args' => PyObject }
 * ```
 */
export const parseTorchBytes = (bytes: Uint8Array, where = 'torch checkpoint', allowGlobal: AllowGlobal = isAllowedTorchGlobal): unknown => {
  try {
    if (isZip(bytes)) return parseZip(bytes, where, allowGlobal);
    if (bytes.length > 262 && new TextDecoder().decode(bytes.subarray(257, 262)) === 'ustar') {
      throw new WeightsError(where, 'legacy torch tar format: re-save with torch.save(..., _use_new_zipfile_serialization=True)');
    }
    if (bytes.length >= 2 && bytes[0] === 0x80) {
      const calls = makeCalls(where, allowGlobal);
      const first = unpickle(bytes, 0, { calls, allowGlobal });
      if (first.value === LEGACY_MAGIC) return parseLegacy(bytes, first.end, where, allowGlobal);
      return first.value;
    }
    throw new WeightsError(where, `not a PyTorch checkpoint (starts with bytes ${[...bytes.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')})`);
  } catch (err) {
    if (err instanceof WeightsError) throw err;
    if (err instanceof PickleGlobalError) {
      throw new WeightsError(where, `refusing to load: the pickle names global '${err.global}' (offset ${err.offset}); only tensor-rebuild globals are allowed (torch._utils._rebuild_tensor_v2, torch.FloatStorage, collections.OrderedDict, …), nothing was executed`, { cause: err });
    }
    if (err instanceof PickleError || err instanceof ZipError || err instanceof RangeError || err instanceof SyntaxError) {
      throw new WeightsError(where, `corrupt or truncated checkpoint: ${err.message}`, { cause: err });
    }
    throw err;
  }
};

// ---------------------------------------------------------------------------
// Python tree → StateDict
// ---------------------------------------------------------------------------

const moduleState = (o: PyObject): Map<unknown, unknown> | undefined => {
  const s = o.state;
  if (s instanceof Map && (s.has('_parameters') || s.has('_modules') || s.has('_buffers'))) return s;
  // (state, slotstate) tuples.
  if (Array.isArray(s) && s[0] instanceof Map && (s[0].has('_parameters') || s[0].has('_modules'))) return s[0];
  return undefined;
};

/**
 * Materialises tensors (each view decoded once, repeated references copied) within a
 * budget of elements proportional to the file, so a small hostile file cannot make the
 * reader allocate without bound.
 */
interface Materializer {
  (t: TorchTensor): StoredTensor;
}
const materializer = (fileBytes: number): Materializer => {
  const done = new Map<TorchTensor, StoredTensor>();
  const budget = 8 * fileBytes + (1 << 26);
  let used = 0;
  return (t) => {
    const n = t.shape.reduce((a, b) => a * b, 1);
    const hit = done.get(t);
    if (hit) {
      if (used + n > budget) throw new PickleError(`tensors would total more than ${budget} elements (8 per file byte + ${1 << 26}); the pickle references one tensor too often`);
      used += n;
      return { ...hit, shape: [...hit.shape], data: hit.data.slice() }; // a copy, as before: callers may own their arrays
    }
    if (used + n > budget) throw new PickleError(`tensors would total more than ${budget} elements (8 per file byte + ${1 << 26}); the file's views repeat its storages too often`);
    used += n;
    const m = materialize(t);
    done.set(t, m);
    return m;
  };
};

const collect = (v: unknown, prefix: string, out: StateDict, seen: Set<unknown>, materialize: Materializer): void => {
  const join = (k: unknown): string => (prefix === '' ? String(k) : `${prefix}.${String(k)}`);
  if (v instanceof TorchTensor) { out.set(prefix, materialize(v)); return; }
  if (v === null || typeof v !== 'object' || seen.has(v)) return;
  seen.add(v);
  if (v instanceof Map) { for (const [k, x] of v) collect(x, join(k), out, seen, materialize); return; }
  if (Array.isArray(v)) { v.forEach((x, i) => collect(x, join(i), out, seen, materialize)); return; }
  if (v instanceof PyObject) {
    const m = moduleState(v);
    if (!m) return; // argparse.Namespace, numpy scalars, …: inert, skipped
    const nonPersistent = m.get('_non_persistent_buffers_set');
    const skip = new Set(Array.isArray(nonPersistent) ? nonPersistent.map(String) : []);
    for (const part of ['_parameters', '_buffers']) {
      const d = m.get(part);
      if (d instanceof Map) for (const [k, x] of d) if (x instanceof TorchTensor && !(part === '_buffers' && skip.has(String(k)))) out.set(join(k), materialize(x));
    }
    const mods = m.get('_modules');
    if (mods instanceof Map) for (const [k, x] of mods) collect(x, join(k), out, seen, materialize);
  }
};

/** Options of {@link readTorchCheckpoint}. */
export interface TorchReadOptions {
  /** Select a sub-dict (e.g. `'g_ema'`, `'state_dict'`); a path of keys selects deeper. Default: the whole file, nested names joined by `.`. */
  readonly key?: string | readonly string[];
  /** File name used in error messages. */
  readonly where?: string;
  /** Which globals the pickle may name; others are refused with a WeightsError. Default: `isAllowedTorchGlobal`. */
  readonly allowGlobal?: (qualified: string) => boolean;
}

/**
 * Decode a PyTorch checkpoint's bytes to a {@link StateDict} (floats widened to
 * float32, strides resolved). Non-tensor values (optimizer settings,
 * `argparse.Namespace`, …) are skipped.
 *
 * @example
 * ```ts
 * const sd = readTorchCheckpoint(bytes, { key: 'g_ema', where: '550000.pt' });
 * sd.get('conv1.conv.weight')?.shape; // [512, 512, 3, 3]
 * ```
 */
export const readTorchCheckpoint = (bytes: Uint8Array, options: TorchReadOptions = {}): StateDict => {
  const where = options.where ?? 'readTorchCheckpoint';
  let tree = parseTorchBytes(bytes, where, options.allowGlobal);
  const path = options.key === undefined ? [] : typeof options.key === 'string' ? [options.key] : options.key;
  for (const k of path) {
    const d = tree instanceof PyObject ? tree.state : tree;
    if (!(d instanceof Map) || !d.has(k)) {
      const keys = d instanceof Map ? [...d.keys()].map(String).join(', ') : 'none (not a dict)';
      throw new WeightsError(where, `key '${k}' not found; available keys: ${keys}`);
    }
    tree = d.get(k);
  }
  const out: StateDict = new Map();
  try {
    collect(tree, '', out, new Set(), materializer(bytes.length));
  } catch (err) {
    if (err instanceof PickleError || err instanceof ZipError || err instanceof RangeError) {
      throw new WeightsError(where, `corrupt or truncated checkpoint: ${err.message}`, { cause: err });
    }
    throw err;
  }
  return out;
};
