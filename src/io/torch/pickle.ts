/**
 * A minimal, inert Python unpickler (protocols 0–5) for the opcodes `torch.save`
 * and `pickle.dump` of PyTorch objects emit. Nothing is ever executed: globals
 * become {@link PyGlobal} names, and calling them (`REDUCE`, `NEWOBJ`) goes
 * through a caller-supplied table; anything unknown becomes an inert
 * {@link PyObject} placeholder.
 *
 * Python values map to JS as: `None` → `null`, bool → boolean, int → number
 * (bigint beyond 2^53), float → number, str → string, bytes → Uint8Array,
 * list/tuple/set → array, dict → `Map`.
 *
 * @module
 */

/**
 * A reference to a Python global (`module.name`), never resolved to code.
 *
 * @example
 * ```ts
 * new PyGlobal('collections', 'OrderedDict').qualified; // 'collections.OrderedDict'
 * ```
 */
export class PyGlobal {
  constructor(
    /** Module path, e.g. `torch._utils`. */ readonly module: string,
    /** Attribute name, e.g. `_rebuild_tensor_v2`. */ readonly name: string,
  ) {}
  /** `module.name`. */
  get qualified(): string {
    return `${this.module}.${this.name}`;
  }
}

/**
 * An inert stand-in for an instance of a class the reader does not know (argparse.Namespace, nn.Module, …).
 *
 * @example
 * ```ts
 * if (v instanceof PyObject && v.cls instanceof PyGlobal) console.log(v.cls.qualified); // e.g. argparse.Namespace
 * ```
 */
export class PyObject {
  /** The object's `__setstate__` / `__dict__` state, when the pickle sets one. */
  state: unknown = undefined;
  constructor(
    /** The class (or callable) that would have made it. */ readonly cls: PyGlobal | unknown,
    /** Arguments it would have been called with. */ readonly args: readonly unknown[],
  ) {}
}

/** Calls of globals the caller knows how to rebuild: qualified name → function of the call's arguments. */
export type PyCallTable = ReadonlyMap<string, (args: readonly unknown[]) => unknown>;

/** Options of {@link unpickle}. */
export interface UnpickleOptions {
  /** Resolves a persistent id (`PERSID`/`BINPERSID`), e.g. torch storages. Default: returns a placeholder. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Known callables; others yield {@link PyObject} placeholders. */
  readonly calls?: PyCallTable;
  /**
   * Decides which globals (`module.name`) a pickle may name at all; a `GLOBAL`,
   * `STACK_GLOBAL` or `INST` naming any other throws {@link PickleGlobalError}
   * before anything is built or called. Default: {@link isAllowedTorchGlobal}.
   */
  readonly allowGlobal?: (qualified: string) => boolean;
}

/** Result of {@link unpickle}. */
export interface UnpickleResult {
  /** The unpickled value. */
  readonly value: unknown;
  /** Offset just past the `STOP` opcode (legacy torch files hold several pickles back to back). */
  readonly end: number;
}

/**
 * Thrown for malformed or truncated pickles (wrapped into a WeightsError by the callers).
 *
 * @example
 * ```ts
 * try { unpickle(bytes); } catch (e) { if (e instanceof PickleError) console.error(e.message); }
 * ```
 */
export class PickleError extends Error {}

/**
 * Thrown when a pickle names a global outside the allow-list (`os.system`,
 * `builtins.eval`, …). Nothing has been called when it is thrown.
 *
 * @example
 * ```ts
 * try { unpickle(bytes); } catch (e) { if (e instanceof PickleGlobalError) console.error(`refused ${e.global}`); }
 * ```
 */
export class PickleGlobalError extends PickleError {
  constructor(
    /** The refused global, `module.name`. */ readonly global: string,
    /** Byte offset of the opcode that named it. */ readonly offset: number,
  ) {
    super(`pickle names global '${global}' at offset ${offset}, which is not on the allow-list of tensor-rebuild globals`);
  }
}

/**
 * Globals a PyTorch checkpoint may name: the tensor/parameter rebuild
 * functions, storage types, containers, and the inert classes of the
 * checkpoints this project reads (StyleGAN2 / BigGAN / NVlabs pickles, whose
 * module classes only become {@link PyObject} placeholders). Nothing here runs
 * code from the file: the reader rebuilds tensors itself.
 */
export const TORCH_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._tensor._rebuild_from_type_v2',
  'torch.Tensor',
  'torch.nn.parameter.Parameter',
  'torch.Size',
  'torch.device',
  'torch.float32', 'torch.float16', 'torch.bfloat16', 'torch.float64', 'torch.int64', 'torch.int32', 'torch.uint8', 'torch.bool',
  ...['Float', 'Half', 'BFloat16', 'Double', 'Long', 'Int', 'Short', 'Char', 'Byte', 'Bool'].map((t) => `torch.${t}Storage`),
  'torch.storage.UntypedStorage', 'torch.storage.TypedStorage',
  'builtins.set', 'builtins.frozenset', '__builtin__.set', 'builtins.slice',
  '_codecs.encode',
  'torch.storage._load_from_bytes', 'torch.serialization._load_from_bytes',
  'torch_utils.persistence._reconstruct_persistent_obj',
  'argparse.Namespace',
  // Inert data classes NVlabs snapshots name (EasyDict kwargs, numpy scalars/arrays); never called.
  'dnnlib.util.EasyDict', 'numpy.core.multiarray._reconstruct', 'numpy.core.multiarray.scalar', 'numpy.ndarray', 'numpy.dtype',
]);

/** Module prefixes whose *classes* are inert placeholders (never called): `torch.nn.modules.conv.Conv2d`, … */
const TORCH_CLASS_PREFIXES: readonly string[] = ['torch.nn.modules.'];

/**
 * The default allow-list test of `unpickle`: {@link TORCH_GLOBALS}, plus
 * the classes of `torch.nn.modules.*` (which only ever become placeholders).
 *
 * @example
 * ```ts
 * isAllowedTorchGlobal('torch._utils._rebuild_tensor_v2'); // true
 * isAllowedTorchGlobal('os.system'); // false
 * ```
 */
export const isAllowedTorchGlobal = (qualified: string): boolean =>
  TORCH_GLOBALS.has(qualified) ||
  TORCH_CLASS_PREFIXES.some((p) => qualified.startsWith(p) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(qualified.slice(qualified.lastIndexOf('.') + 1)) && /^[A-Z]/.test(qualified.slice(qualified.lastIndexOf('.') + 1)));

const td = new TextDecoder('utf-8');

const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
};

const bigToValue = (v: bigint): number | bigint => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** Two's-complement little-endian bytes → integer, in linear time (one hex parse; shifting byte by byte is quadratic). */
const decodeLong = (b: Uint8Array): number | bigint => {
  if (b.length === 0) return 0;
  const hex = new Array<string>(b.length);
  for (let i = 0; i < b.length; i++) hex[b.length - 1 - i] = b[i]!.toString(16).padStart(2, '0');
  let v = BigInt(`0x${hex.join('')}`);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return bigToValue(v);
};

/** Python's own limit on decimal int conversion (`sys.get_int_max_str_digits()`, 3.11+). */
const MAX_INT_DIGITS = 4300;

/**
 * Unpickle one pickle starting at `offset`. Never executes anything; throws
 * {@link PickleError} on malformed or truncated input.
 *
 * @example
 * ```ts
 * const { value } = unpickle(new Uint8Array([0x80, 2, 0x4b, 7, 0x2e])); // 7
 * ```
 */
export const unpickle = (data: Uint8Array, offset = 0, options: UnpickleOptions = {}): UnpickleResult => {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const calls = options.calls ?? new Map();
  const allowGlobal = options.allowGlobal ?? isAllowedTorchGlobal;
  /** The one place a global comes into being: refused unless allowed. */
  const global = (module: unknown, name: unknown, at: number): PyGlobal => {
    if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError(`STACK_GLOBAL at offset ${at} needs two strings, got ${typeof module} and ${typeof name}`);
    const g = new PyGlobal(module, name);
    if (!allowGlobal(g.qualified)) throw new PickleGlobalError(g.qualified, at);
    return g;
  };
  const persistentLoad = options.persistentLoad ?? ((pid: unknown) => new PyObject(new PyGlobal('<persistent>', 'id'), [pid]));
  let pos = offset;
  let stack: unknown[] = [];
  const marks: unknown[][] = [];
  const memo = new Map<number, unknown>();

  const need = (n: number): void => {
    if (n < 0 || pos + n > data.length) throw new PickleError(`truncated pickle: need ${n} bytes at offset ${pos}, file has ${data.length}`);
  };
  const u8 = (): number => { need(1); return data[pos++]!; };
  const u16 = (): number => { need(2); const v = view.getUint16(pos, true); pos += 2; return v; };
  const u32 = (): number => { need(4); const v = view.getUint32(pos, true); pos += 4; return v; };
  const i32 = (): number => { need(4); const v = view.getInt32(pos, true); pos += 4; return v; };
  const u64 = (): number => {
    need(8);
    const v = view.getBigUint64(pos, true);
    pos += 8;
    if (v > BigInt(data.length)) throw new PickleError(`length ${v} exceeds file size ${data.length}`);
    return Number(v);
  };
  /** A decimal INT/LONG line: digits only, at most {@link MAX_INT_DIGITS} of them (BigInt would also accept `0x…`, spaces, and take superlinear time). */
  const textInt = (s: string, op: string): number | bigint => {
    const t = s.trim();
    if (!/^[-+]?\d+$/.test(t)) throw new PickleError(`${op} at offset ${pos} expects a decimal integer, got ${JSON.stringify(t.slice(0, 40))}`);
    if (t.length > MAX_INT_DIGITS + 1) throw new PickleError(`${op} at offset ${pos} has ${t.length} digits, more than Python's limit of ${MAX_INT_DIGITS}`);
    return bigToValue(BigInt(t));
  };
  const bytes = (n: number): Uint8Array => { need(n); const b = data.subarray(pos, pos + n); pos += n; return b; };
  const line = (): string => {
    const start = pos;
    while (pos < data.length && data[pos] !== 0x0a) pos++;
    if (pos >= data.length) throw new PickleError('truncated pickle: unterminated text line');
    const s = latin1(data.subarray(start, pos));
    pos++;
    return s;
  };
  const pop = (): unknown => {
    if (stack.length === 0) throw new PickleError(`stack underflow at offset ${pos}`);
    return stack.pop();
  };
  const top = (): unknown => {
    if (stack.length === 0) throw new PickleError(`stack underflow at offset ${pos}`);
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const items = stack;
    const prev = marks.pop();
    if (prev === undefined) throw new PickleError(`MARK missing at offset ${pos}`);
    stack = prev;
    return items;
  };
  const getMemo = (i: number): unknown => {
    if (!memo.has(i)) throw new PickleError(`memo key ${i} missing at offset ${pos}`);
    return memo.get(i);
  };
  const call = (fn: unknown, args: readonly unknown[]): unknown => {
    if (fn instanceof PyGlobal) {
      const f = calls.get(fn.qualified);
      if (f) return f(args);
    }
    return new PyObject(fn, args);
  };
  const setItems = (d: unknown, kv: readonly unknown[]): void => {
    if (d instanceof Map) for (let i = 0; i + 1 < kv.length; i += 2) d.set(kv[i], kv[i + 1]);
    else if (d instanceof PyObject) {
      if (!(d.state instanceof Map)) d.state = new Map();
      for (let i = 0; i + 1 < kv.length; i += 2) (d.state as Map<unknown, unknown>).set(kv[i], kv[i + 1]);
    }
  };
  const asArgs = (a: unknown): readonly unknown[] => (Array.isArray(a) ? a : [a]);

  for (;;) {
    const op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: u64(); break; // FRAME (length only)
      case 0x2e: // STOP
        if (stack.length !== 1) throw new PickleError(`STOP with ${stack.length} values on the stack`);
        return { value: stack[0], end: pos };
      case 0x28: marks.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(decodeLong(bytes(u8()))); break; // LONG1
      case 0x8b: { const n = i32(); if (n < 0) throw new PickleError('negative LONG4 length'); stack.push(decodeLong(bytes(n))); break; }
      case 0x49: { // INT
        const s = line();
        stack.push(s === '01' ? true : s === '00' ? false : textInt(s, 'INT'));
        break;
      }
      case 0x4c: stack.push(textInt(line().replace(/L$/, ''), 'LONG')); break; // LONG
      case 0x46: stack.push(Number.parseFloat(line())); break; // FLOAT
      case 0x47: { need(8); stack.push(view.getFloat64(pos, false)); pos += 8; break; } // BINFLOAT (big-endian)
      case 0x58: stack.push(td.decode(bytes(u32()))); break; // BINUNICODE
      case 0x8c: stack.push(td.decode(bytes(u8()))); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(td.decode(bytes(u64()))); break; // BINUNICODE8
      case 0x56: stack.push(line()); break; // UNICODE (raw-unicode-escape; ASCII suffices here)
      case 0x54: stack.push(latin1(bytes(i32()))); break; // BINSTRING
      case 0x55: stack.push(latin1(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x53: stack.push(line().replace(/^['"]|['"]$/g, '')); break; // STRING
      case 0x42: stack.push(bytes(u32())); break; // BINBYTES
      case 0x43: stack.push(bytes(u8())); break; // SHORT_BINBYTES
      case 0x8e: stack.push(bytes(u64())); break; // BINBYTES8
      case 0x96: stack.push(bytes(u64()).slice()); break; // BYTEARRAY8
      case 0x97: stack.push(new PyObject(new PyGlobal('pickle', 'PickleBuffer'), [])); break; // NEXT_BUFFER
      case 0x98: break; // READONLY_BUFFER
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x8f: stack.push([]); break; // EMPTY_SET
      case 0x74: { const items = popMark(); stack.push(items); break; } // TUPLE
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST
      case 0x91: { const items = popMark(); stack.push(items); break; } // FROZENSET
      case 0x85: { const a = pop(); stack.push([a]); break; } // TUPLE1
      case 0x86: { const b = pop(), a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(), b = pop(), a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x64: { const kv = popMark(); const d = new Map(); setItems(d, kv); stack.push(d); break; } // DICT
      case 0x61: { const v = pop(); const l = top(); if (Array.isArray(l)) l.push(v); break; } // APPEND
      case 0x65: case 0x90: { const items = popMark(); const l = top(); if (Array.isArray(l)) l.push(...items); break; } // APPENDS, ADDITEMS
      case 0x73: { const v = pop(), k = pop(); setItems(top(), [k, v]); break; } // SETITEM
      case 0x75: { const kv = popMark(); setItems(top(), kv); break; } // SETITEMS
      case 0x63: { const at = pos - 1; const module = line(); const name = line(); stack.push(global(module, name, at)); break; } // GLOBAL
      case 0x93: { const name = pop(), module = pop(); stack.push(global(module, name, pos - 1)); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); const fn = pop(); stack.push(call(fn, asArgs(args))); break; } // REDUCE
      case 0x81: { const args = pop(); const cls = pop(); stack.push(call(cls, asArgs(args))); break; } // NEWOBJ
      case 0x92: { pop(); const args = pop(); const cls = pop(); stack.push(call(cls, asArgs(args))); break; } // NEWOBJ_EX
      case 0x6f: { const items = popMark(); stack.push(call(items[0], items.slice(1))); break; } // OBJ
      case 0x69: { const at = pos - 1; const module = line(); const name = line(); const g = global(module, name, at); const items = popMark(); stack.push(call(g, items)); break; } // INST
      case 0x62: { const state = pop(); const obj = top(); if (obj instanceof PyObject) obj.state = state; break; } // BUILD
      case 0x50: stack.push(persistentLoad(line())); break; // PERSID
      case 0x51: stack.push(persistentLoad(pop())); break; // BINPERSID
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number(line()), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: stack.push(getMemo(u8())); break; // BINGET
      case 0x6a: stack.push(getMemo(u32())); break; // LONG_BINGET
      case 0x67: stack.push(getMemo(Number(line()))); break; // GET
      case 0x82: case 0x83: case 0x84: throw new PickleError('extension registry opcodes (EXT1/2/4) are not supported');
      default:
        throw new PickleError(`unknown opcode 0x${op.toString(16)} at offset ${pos - 1}`);
    }
  }
};
