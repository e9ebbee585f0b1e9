/**
 * safetensors, read and written on plain bytes (https://github.com/huggingface/safetensors):
 * an 8-byte little-endian header length N, N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?: {k: v}}`,
 * then the raw little-endian data (offsets relative to its start).
 *
 * Reading validates everything (header length vs size, JSON, dtypes, shapes,
 * offsets in bounds and non-overlapping, byte counts); any problem is a
 * {@link WeightsError} naming the source. float16 / bfloat16 / float64 widen
 * (or narrow) to float32. Pure (no file I/O): `safetensors-file.ts` adds the
 * `node:fs` wrappers.
 *
 * @module
 */
import * as E from 'fp-ts/lib/Either.js';
import { WeightsError } from '../core/errors.ts';
import type { StateDict, StoredDType, StoredTensor } from './state-dict.ts';

/** A decoded safetensors file. */
export interface SafetensorsContent {
  /** The tensors, in header order. */
  readonly tensors: StateDict;
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
}

const DTYPES: Readonly<Record<string, readonly [StoredDType, number]>> = {
  F64: ['float64', 8], F32: ['float32', 4], F16: ['float16', 2], BF16: ['bfloat16', 2],
  I64: ['int64', 8], I32: ['int32', 4], I16: ['int16', 2], I8: ['int8', 1], U8: ['uint8', 1], BOOL: ['bool', 1],
};

/** Biggest header we accept (the reference implementation's limit is 100 MB). */
const MAX_HEADER = 100_000_000;

/**
 * IEEE half → float.
 *
 * @example
 * ```ts
 * halfToFloat(0x3c00); // 1
 * ```
 */
export const halfToFloat = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
};

const isNonNegInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

const decodeTensor = (dtype: StoredDType, shape: number[], view: DataView, begin: number, count: number): StoredTensor => {
  const f32 = (get: (o: number) => number, size: number): Float32Array => {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = get(begin + i * size);
    return out;
  };
  switch (dtype) {
    case 'float32': return { dtype, shape, data: f32((o) => view.getFloat32(o, true), 4) };
    case 'float64': return { dtype, shape, data: f32((o) => view.getFloat64(o, true), 8) };
    case 'float16': return { dtype, shape, data: f32((o) => halfToFloat(view.getUint16(o, true)), 2) };
    case 'bfloat16': {
      const out = new Float32Array(count), u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = view.getUint16(begin + 2 * i, true) << 16;
      return { dtype, shape, data: out };
    }
    case 'int64': {
      const vals = new Float64Array(count);
      let fits = true;
      for (let i = 0; i < count; i++) {
        const v = Number(view.getBigInt64(begin + 8 * i, true));
        vals[i] = v;
        if (v > 2147483647 || v < -2147483648) fits = false;
      }
      return { dtype, shape, data: fits ? Int32Array.from(vals) : vals };
    }
    case 'int32': case 'int16': case 'int8': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const o = begin + i * (dtype === 'int32' ? 4 : dtype === 'int16' ? 2 : 1);
        out[i] = dtype === 'int32' ? view.getInt32(o, true) : dtype === 'int16' ? view.getInt16(o, true) : view.getInt8(o);
      }
      return { dtype, shape, data: out };
    }
    case 'uint8': case 'bool':
      return { dtype, shape, data: new Uint8Array(view.buffer.slice(view.byteOffset + begin, view.byteOffset + begin + count)) };
  }
};

/**
 * Decode safetensors bytes; every problem is a {@link WeightsError} starting with `where`.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = parseSafetensors(bytes, 'g.safetensors');
 * ```
 */
export const parseSafetensors = (bytes: Uint8Array, where = 'parseSafetensors'): SafetensorsContent => {
  const fail = (detail: string): never => { throw new WeightsError(where, `not a valid safetensors file: ${detail}`); };
  if (bytes.byteLength < 8) fail(`${bytes.byteLength} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  const n = hi * 2 ** 32 + lo;
  if (n > bytes.byteLength - 8) fail(`header length ${n} exceeds the ${bytes.byteLength - 8} bytes after it (truncated file?)`);
  if (n > MAX_HEADER) fail(`header length ${n} exceeds the ${MAX_HEADER}-byte limit`);
  if (n < 2) fail(`header length ${n} is too short for a JSON object`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    fail(`header is not UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + n, dataLen = bytes.byteLength - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: StoredDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('__metadata__ is not a string map');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof info !== 'object' || info === null) fail(`'${name}' is not an object`);
    const d = typeof info?.dtype === 'string' ? DTYPES[info.dtype] : undefined;
    if (!d) fail(`'${name}' has unknown dtype ${JSON.stringify(info?.dtype)} (known: ${Object.keys(DTYPES).join(', ')})`);
    const shape = info?.shape;
    if (!Array.isArray(shape) || !shape.every(isNonNegInt)) fail(`'${name}' shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    const offs = info?.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isNonNegInt)) fail(`'${name}' data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) fail(`'${name}' data_offsets [${begin}, ${end}] are outside the ${dataLen} data bytes`);
    const [dtype, size] = d as readonly [StoredDType, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) fail(`'${name}' shape [${(shape as number[]).join(',')}] × ${size} bytes = ${count * size}, but data_offsets span ${end - begin}`);
    entries.push({ name, dtype, shape: [...(shape as number[])], begin, end });
  }
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  let last: (typeof entries)[number] | undefined;
  for (const b of sorted) {
    if (last && b.begin < last.end) fail(`'${b.name}' [${b.begin}, ${b.end}] overlaps '${last.name}' [${last.begin}, ${last.end}]`);
    if (!last || b.end > last.end) last = b;
  }
  const tensors: StateDict = new Map();
  for (const e of entries) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, decodeTensor(e.dtype, e.shape, view, dataStart + e.begin, count));
  }
  return { tensors, metadata };
};

/**
 * {@link parseSafetensors} returning an `Either` instead of throwing.
 *
 * @example
 * ```ts
 * const r = decodeSafetensors(bytes, 'g.safetensors');
 * if (E.isRight(r)) use(r.right.tensors);
 * ```
 */
export const decodeSafetensors = (bytes: Uint8Array, where = 'decodeSafetensors'): E.Either<WeightsError, SafetensorsContent> =>
  E.tryCatch(() => parseSafetensors(bytes, where), (e) => (e instanceof WeightsError ? e : new WeightsError(where, String(e))));

const WRITE_DTYPE: Readonly<Record<StoredDType, readonly [string, number]>> = {
  float32: ['F32', 4], float16: ['F32', 4], bfloat16: ['F32', 4], float64: ['F32', 4],
  int64: ['I64', 8], int32: ['I32', 4], int16: ['I16', 2], int8: ['I8', 1], uint8: ['U8', 1], bool: ['BOOL', 1],
};

/**
 * Encode tensors (+ string metadata) as safetensors bytes. Floating-point
 * tensors are written as F32 (their in-memory form); integers keep their dtype.
 *
 * @example
 * ```ts
 * const bytes = serializeSafetensors(dict, { config: JSON.stringify(cfg) });
 * ```
 */
export const serializeSafetensors = (tensors: StateDict, metadata: Readonly<Record<string, string>> = {}, where = 'serializeSafetensors'): Uint8Array => {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = { ...metadata };
  let offset = 0;
  const plan: { t: StoredTensor; code: string; begin: number }[] = [];
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new WeightsError(where, "a tensor cannot be named '__metadata__'");
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new WeightsError(where, `'${name}' has ${t.data.length} values but shape [${t.shape.join(',')}] needs ${count}`);
    const [code, size] = WRITE_DTYPE[t.dtype];
    header[name] = { dtype: code, shape: [...t.shape], data_offsets: [offset, offset + count * size] };
    plan.push({ t, code, begin: offset });
    offset += count * size;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  let hb = enc.encode(json);
  const pad = (8 - (hb.byteLength % 8)) % 8;
  if (pad > 0) { json += ' '.repeat(pad); hb = enc.encode(json); }
  const out = new Uint8Array(8 + hb.byteLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, hb.byteLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(hb.byteLength / 2 ** 32), true);
  out.set(hb, 8);
  const base = 8 + hb.byteLength;
  for (const { t, code, begin } of plan) {
    const o = base + begin, d = t.data;
    for (let i = 0; i < d.length; i++) {
      const v = d[i] as number;
      switch (code) {
        case 'F32': view.setFloat32(o + 4 * i, v, true); break;
        case 'I64': view.setBigInt64(o + 8 * i, BigInt(Math.trunc(v)), true); break;
        case 'I32': view.setInt32(o + 4 * i, v, true); break;
        case 'I16': view.setInt16(o + 2 * i, v, true); break;
        case 'I8': view.setInt8(o + i, v); break;
        default: view.setUint8(o + i, code === 'BOOL' ? (v ? 1 : 0) : v);
      }
    }
  }
  return out;
};
