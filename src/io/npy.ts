/**
 * NumPy `.npy` arrays, read and written on plain bytes
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
 * magic `\x93NUMPY`, version (1.0: u16 header length; 2.0/3.0: u32), a Python
 * dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`,
 * then the raw data. Supported: `<f4 <f8 <f2 <i4 <i8 <i2 |i1 |u1 |b1`;
 * Fortran-ordered arrays are transposed to C order on read. Every problem is a
 * {@link DataError}. Pure (no file I/O): `npy-file.ts` adds `node:fs`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors.ts';
import { halfToFloat } from './safetensors.ts';

/** Element types of an {@link NpyArray} (NumPy `descr` strings). */
export type NpyDType = '<f4' | '<f8' | '<f2' | '<i4' | '<i8' | '<i2' | '|i1' | '|u1' | '|b1';

/**
 * An n-d array in C (row-major) order. `data` is Float32Array for `<f4`/`<f2`,
 * Float64Array for `<f8` and `<i8` (exact up to 2^53), Int32Array for
 * `<i4`/`<i2`/`|i1`, Uint8Array for `|u1`/`|b1`.
 */
export interface NpyArray {
  /** The element type. */
  readonly dtype: NpyDType;
  /** The shape (`[]` for a scalar). */
  readonly shape: readonly number[];
  /** The values, row-major. */
  readonly data: Float32Array | Float64Array | Int32Array | Uint8Array;
}

const ITEM: Readonly<Record<NpyDType, number>> = { '<f4': 4, '<f8': 8, '<f2': 2, '<i4': 4, '<i8': 8, '<i2': 2, '|i1': 1, '|u1': 1, '|b1': 1 };
const ALIASES: Readonly<Record<string, NpyDType>> = {
  '<f4': '<f4', '<f8': '<f8', '<f2': '<f2', '<i4': '<i4', '<i8': '<i8', '<i2': '<i2', '|i1': '|i1', '|u1': '|u1', '|b1': '|b1',
  '=f4': '<f4', '=f8': '<f8', '=i4': '<i4', '=i8': '<i8', '<u1': '|u1', '<i1': '|i1', '<b1': '|b1', '?': '|b1',
};
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const product = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Fortran-order data → C order. */
const fortranToC = <T extends NpyArray['data']>(src: T, shape: readonly number[], make: (n: number) => T): T => {
  const n = src.length, r = shape.length, out = make(n);
  const fStride = new Array<number>(r);
  let s = 1;
  for (let k = 0; k < r; k++) { fStride[k] = s; s *= shape[k] as number; }
  const idx = new Array<number>(r).fill(0);
  for (let c = 0; c < n; c++) {
    let f = 0;
    for (let k = 0; k < r; k++) f += (idx[k] as number) * (fStride[k] as number);
    out[c] = src[f] as number;
    for (let k = r - 1; k >= 0; k--) {
      idx[k] = (idx[k] as number) + 1;
      if ((idx[k] as number) < (shape[k] as number)) break;
      idx[k] = 0;
    }
  }
  return out;
};

/**
 * Decode `.npy` bytes; every problem is a {@link DataError} starting with `where`.
 *
 * @example
 * ```ts
 * const z = parseNpy(bytes, 'z.npy'); // { dtype: '<f4', shape: [8, 512], data: Float32Array }
 * ```
 */
export const parseNpy = (bytes: Uint8Array, where = 'parseNpy'): NpyArray => {
  const fail = (detail: string): never => { throw new DataError(where, `not a valid .npy file: ${detail}`); };
  if (bytes.byteLength < 10 || MAGIC.some((m, i) => bytes[i] !== m)) fail('missing the \\x93NUMPY magic');
  const major = bytes[6] as number, minor = bytes[7] as number;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let hlen: number, hstart: number;
  if (major === 1) { hlen = view.getUint16(8, true); hstart = 10; }
  else if (major === 2 || major === 3) {
    if (bytes.byteLength < 12) fail('truncated before the header length');
    hlen = view.getUint32(8, true); hstart = 12;
  } else return fail(`version ${major}.${minor} is not supported (1.0, 2.0, 3.0 are)`);
  if (hstart + hlen > bytes.byteLength) fail(`header length ${hlen} exceeds the file (${bytes.byteLength} bytes; truncated?)`);
  let header = '';
  try {
    header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1', { fatal: major === 3 }).decode(bytes.subarray(hstart, hstart + hlen));
  } catch {
    fail('header is not valid UTF-8');
  }
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) fail(`header ${JSON.stringify(header.trim().slice(0, 120))} lacks descr, fortran_order or shape`);
  const dtype = ALIASES[descr as string];
  if (!dtype) fail(`dtype '${descr}' is not supported (supported: ${Object.keys(ITEM).join(' ')}; big-endian is not)`);
  const parts = (shapeText as string).split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (!parts.every((p) => /^\d+L?$/.test(p))) fail(`shape (${shapeText}) is not a tuple of non-negative integers`);
  const shape = parts.map((p) => parseInt(p, 10));
  const dt = dtype as NpyDType;
  const count = product(shape), size = ITEM[dt], begin = hstart + hlen;
  const have = bytes.byteLength - begin;
  if (have !== count * size) fail(`shape (${shape.join(', ')}) of ${dt} needs ${count * size} data bytes, the file has ${have}`);
  let data: NpyArray['data'];
  switch (dt) {
    case '<f4': data = new Float32Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat32(begin + 4 * i, true); break;
    case '<f2': data = new Float32Array(count); for (let i = 0; i < count; i++) data[i] = halfToFloat(view.getUint16(begin + 2 * i, true)); break;
    case '<f8': data = new Float64Array(count); for (let i = 0; i < count; i++) data[i] = view.getFloat64(begin + 8 * i, true); break;
    case '<i8': data = new Float64Array(count); for (let i = 0; i < count; i++) data[i] = Number(view.getBigInt64(begin + 8 * i, true)); break;
    case '<i4': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt32(begin + 4 * i, true); break;
    case '<i2': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt16(begin + 2 * i, true); break;
    case '|i1': data = new Int32Array(count); for (let i = 0; i < count; i++) data[i] = view.getInt8(begin + i); break;
    case '|u1': case '|b1': data = bytes.slice(begin, begin + count); break;
  }
  if (fortran === 'True' && shape.length > 1) {
    const d = data;
    const make = (n: number) => new (d.constructor as new (n: number) => typeof d)(n);
    data = fortranToC(d, shape, make);
  }
  return { dtype: dt, shape, data };
};

/**
 * Encode an array as `.npy` bytes (version 1.0, or 2.0 for huge headers; C order;
 * header padded so the data starts at a multiple of 64 bytes, as NumPy does).
 *
 * @example
 * ```ts
 * const bytes = serializeNpy({ dtype: '<f4', shape: [2, 3], data: new Float32Array(6) });
 * ```
 */
export const serializeNpy = (a: NpyArray, where = 'serializeNpy'): Uint8Array => {
  const size = ITEM[a.dtype];
  if (size === undefined) throw new DataError(where, `dtype '${String(a.dtype)}' is not supported`);
  const count = product(a.shape);
  if (!a.shape.every((s) => Number.isSafeInteger(s) && s >= 0)) throw new DataError(where, `shape [${a.shape.join(',')}] is not a list of non-negative integers`);
  if (count !== a.data.length) throw new DataError(where, `shape [${a.shape.join(',')}] needs ${count} values, data has ${a.data.length}`);
  const shapeText = a.shape.length === 1 ? `(${a.shape[0]},)` : `(${a.shape.join(', ')})`;
  const dict = `{'descr': '${a.dtype}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  let major = 1, pre = 10;
  if (dict.length + 1 + pre > 65535) { major = 2; pre = 12; }
  const total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  const header = dict + ' '.repeat(total - pre - dict.length - 1) + '\n';
  const out = new Uint8Array(total + count * size);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[6] = major; out[7] = 0;
  if (major === 1) view.setUint16(8, header.length, true); else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  const d = a.data;
  for (let i = 0; i < count; i++) {
    const v = d[i] as number, o = total + i * size;
    switch (a.dtype) {
      case '<f4': view.setFloat32(o, v, true); break;
      case '<f8': view.setFloat64(o, v, true); break;
      case '<f2': throw new DataError(where, "writing '<f2' is not supported (write '<f4')");
      case '<i8': view.setBigInt64(o, BigInt(Math.trunc(v)), true); break;
      case '<i4': view.setInt32(o, v, true); break;
      case '<i2': view.setInt16(o, v, true); break;
      case '|i1': view.setInt8(o, v); break;
      case '|u1': view.setUint8(o, v); break;
      case '|b1': view.setUint8(o, v ? 1 : 0); break;
    }
  }
  return out;
};

/**
 * An {@link NpyArray} as a float32 tensor of the same shape.
 *
 * @example
 * ```ts
 * const z = npyToTensor(parseNpy(bytes)) as tf.Tensor2D;
 * ```
 */
export const npyToTensor = (a: NpyArray): tf.Tensor =>
  tf.tensor(a.data instanceof Float32Array ? a.data : Float32Array.from(a.data), [...a.shape], 'float32');

/**
 * A tensor's values as a `<f4` {@link NpyArray} (int32 tensors as `<i4`).
 *
 * @example
 * ```ts
 * const bytes = serializeNpy(tensorToNpy(images));
 * ```
 */
export const tensorToNpy = (x: tf.Tensor): NpyArray =>
  x.dtype === 'int32'
    ? { dtype: '<i4', shape: x.shape, data: Int32Array.from(x.dataSync() as Int32Array) }
    : { dtype: '<f4', shape: x.shape, data: Float32Array.from(x.dataSync() as Float32Array) };
