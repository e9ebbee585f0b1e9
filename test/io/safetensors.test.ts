import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WeightsError } from '../../src/core/errors.ts';
import { halfToFloat, parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors-file.ts';
import type { StateDict } from '../../src/io/state-dict.ts';

type Expected = Record<string, Record<string, { shape: number[]; values: number[] }>>;
const expected = (JSON.parse(readFileSync('test/fixtures/io/expected.json', 'utf8')) as Expected).safetensors!;

test('halfToFloat: 1, -2, max, smallest subnormal, inf, nan', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.ok(Number.isNaN(halfToFloat(0x7e00)));
});

test('a file written by an independent python writer (F32 F16 BF16 F64 I64 U8 BOOL, empty, scalar) reads back', () => {
  const { tensors, metadata } = readSafetensors('test/fixtures/io/mixed.safetensors');
  assert.deepEqual(metadata, { config: '{"a": 1}', note: 'python writer' });
  assert.deepEqual([...tensors.keys()], Object.keys(expected));
  const dtypes: Record<string, string> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16', f64: 'float64', i64: 'int64', u8: 'uint8', flag: 'bool', empty: 'float32', scalar: 'float32' };
  for (const [k, want] of Object.entries(expected)) {
    const t = tensors.get(k)!;
    assert.equal(t.dtype, dtypes[k], k);
    assert.deepEqual(t.shape, want.shape, k);
    const tol = k === 'bf16' ? 1 / 128 : k === 'f32' ? 1e-7 : 0;
    want.values.forEach((w, i) => assert.ok(Math.abs((t.data[i] as number) - w) <= tol * Math.max(1, Math.abs(w)), `${k}[${i}]: ${t.data[i]} vs ${w}`));
    if (k !== 'i64' && k !== 'u8' && k !== 'flag') assert.ok(t.data instanceof Float32Array, `${k} widened to float32`);
  }
  assert.ok(tensors.get('i64')!.data instanceof Float64Array, 'int64 beyond ±2^31 stays exact in a Float64Array');
});

test('round trip: tensors, dtypes, metadata; header padded to 8 bytes; atomic write', () => {
  const dict: StateDict = new Map([
    ['conv.weight', { dtype: 'float32', shape: [2, 1, 3, 3], data: Float32Array.from({ length: 18 }, (_, i) => i - 8.5) }],
    ['bn.num_batches_tracked', { dtype: 'int64', shape: [], data: Int32Array.from([12]) }],
    ['idx', { dtype: 'int32', shape: [3], data: Int32Array.from([-1, 0, 1]) }],
    ['mask', { dtype: 'bool', shape: [2], data: Uint8Array.from([1, 0]) }],
  ]);
  const bytes = serializeSafetensors(dict, { config: '{"resolution":32}' });
  const n = new DataView(bytes.buffer).getUint32(0, true);
  assert.equal(n % 8, 0);
  const back = parseSafetensors(bytes);
  assert.deepEqual(back.metadata, { config: '{"resolution":32}' });
  for (const [k, t] of dict) {
    const b = back.tensors.get(k)!;
    assert.equal(b.dtype, t.dtype);
    assert.deepEqual(b.shape, t.shape);
    assert.deepEqual(Array.from(b.data), Array.from(t.data));
  }
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    writeSafetensors(join(dir, 'w.safetensors'), dict, { a: 'b' });
    assert.deepEqual(readdirSync(dir), ['w.safetensors']);
    assert.equal(readSafetensors(join(dir, 'w.safetensors')).tensors.size, 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const header = (h: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array => {
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setUint32(0, lengthOverride ?? json.length, true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
};

test('corrupt and truncated files are WeightsErrors naming the file (never a crash or hang)', () => {
  const good = readFileSync('test/fixtures/io/mixed.safetensors');
  const f32 = (n: number) => new Uint8Array(4 * n);
  const cases: Record<string, Uint8Array> = {
    empty: new Uint8Array(0),
    short: new Uint8Array(5),
    truncated: good.subarray(0, good.length - 3),
    'header-cut': good.subarray(0, 40),
    'huge-length': header({}, new Uint8Array(0), 0xffffffff),
    'not-json': header('x').map((b, i) => (i === 8 ? 0x7b : b)),
    'json-array': header([1, 2]),
    'unknown-dtype': header({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
    'bad-shape': header({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)),
    'size-mismatch': header({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(3)),
    'out-of-bounds': header({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(2)),
    overlap: header({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)),
    'bad-metadata': header({ __metadata__: { a: 1 } }),
    'bad-offsets': header({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, f32(1)),
  };
  const dir = mkdtempSync(join(tmpdir(), 'st-bad-'));
  try {
    for (const [name, bytes] of Object.entries(cases)) {
      const f = join(dir, `${name}.safetensors`);
      writeFileSync(f, bytes);
      assert.throws(() => readSafetensors(f), (e: unknown) => e instanceof WeightsError && e.message.includes(f), name);
    }
    assert.throws(() => readSafetensors(join(dir, 'missing.safetensors')), WeightsError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
