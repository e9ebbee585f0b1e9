// A minimal `torch.save` writer for tests (zip format, pickle protocol 2): an OrderedDict of
// contiguous float32/int64 tensors plus optional extra int-list entries, laid out as
// torch 1.x+ writes them (archive/data.pkl, archive/data/<key>, archive/version).
import { zipSync } from 'fflate';
import type { StateDict } from '../../../src/io/state-dict.ts';

const enc = new TextEncoder();

class Pickler {
  private readonly parts: number[] = [];
  op(...bytes: number[]): this { this.parts.push(...bytes); return this; }
  global(module: string, name: string): this { return this.op(0x63, ...enc.encode(`${module}\n${name}\n`)); }
  str(s: string): this {
    const b = enc.encode(s);
    return this.op(0x58, b.length & 0xff, (b.length >> 8) & 0xff, (b.length >> 16) & 0xff, b.length >>> 24, ...b);
  }
  int(n: number): this { return this.op(0x4a, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff); }
  tuple(items: readonly number[]): this { this.op(0x28); for (const i of items) this.int(i); return this.op(0x74); }
  bytes(): Uint8Array { return Uint8Array.from(this.parts); }
}

const MARK = 0x28, TUPLE = 0x74, REDUCE = 0x52, SETITEMS = 0x75, APPENDS = 0x65, EMPTY_TUPLE = 0x29, EMPTY_LIST = 0x5d;
const BINPERSID = 0x51, NEWFALSE = 0x89, STOP = 0x2e;

/** Bytes of `torch.save(state_dict)` where `extra` adds non-tensor entries such as `mask_values`. */
export const torchSaveBytes = (dict: StateDict, extra: Readonly<Record<string, readonly number[]>> = {}): Uint8Array => {
  const p = new Pickler().op(0x80, 2).global('collections', 'OrderedDict').op(EMPTY_TUPLE, REDUCE, MARK);
  const files: Record<string, Uint8Array> = {};
  let i = 0;
  for (const [key, t] of dict) {
    const long = t.dtype === 'int64';
    const n = t.shape.reduce((a, b) => a * b, 1);
    const data = long ? new Uint8Array(new BigInt64Array(Array.from(t.data as ArrayLike<number>, (v) => BigInt(v))).buffer)
      : new Uint8Array(Float32Array.from(t.data as ArrayLike<number>).buffer);
    files[`archive/data/${i}`] = data;
    const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
    p.str(key).global('torch._utils', '_rebuild_tensor_v2').op(MARK)
      .op(MARK).str('storage').global('torch', long ? 'LongStorage' : 'FloatStorage').str(String(i)).str('cpu').int(n).op(TUPLE, BINPERSID)
      .int(0).tuple(t.shape).tuple(stride).op(NEWFALSE).global('collections', 'OrderedDict').op(EMPTY_TUPLE, REDUCE)
      .op(TUPLE, REDUCE);
    i++;
  }
  for (const [key, values] of Object.entries(extra)) {
    p.str(key).op(EMPTY_LIST, MARK);
    for (const v of values) p.int(v);
    p.op(APPENDS);
  }
  p.op(SETITEMS, STOP);
  files['archive/data.pkl'] = p.bytes();
  files['archive/version'] = enc.encode('3\n');
  return zipSync(files, { level: 0 });
};
