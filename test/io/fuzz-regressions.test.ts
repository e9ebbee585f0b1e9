// Regressions for the parser bugs the fuzzers and a read of the parsers found:
// each pins the hostile input, and that it now fails fast with a typed error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { zipSync } from 'fflate';
import { DataError, WeightsError } from '../../src/core/errors.ts';
import { readTorchCheckpoint, unpickle } from '../../src/io/torch/index.ts';
import { parseSafetensors, serializeSafetensors } from '../../src/io/safetensors.ts';
import { parseNpy } from '../../src/io/npy.ts';
import { directionFromBytes } from '../../src/methods/latent-direction/direction-io.ts';
import type { Generator } from '../../src/models/generator.ts';

const enc = new TextEncoder();
const cat = (...parts: (Uint8Array | number[] | string)[]): Uint8Array => {
  const bs = parts.map((p) => (typeof p === 'string' ? Uint8Array.from(p, (c) => c.charCodeAt(0)) : Uint8Array.from(p)));
  const out = new Uint8Array(bs.reduce((a, b) => a + b.length, 0));
  let o = 0;
  for (const b of bs) { out.set(b, o); o += b.length; }
  return out;
};
const X = (s: string): Uint8Array => cat([0x58, s.length, 0, 0, 0], s); // BINUNICODE
/** BININT for integers, BINFLOAT (big-endian) otherwise. */
const J = (n: number): number[] => {
  const b = new Uint8Array(8), v = new DataView(b.buffer);
  if (Number.isInteger(n)) { v.setInt32(0, n, true); return [0x4a, ...b.subarray(0, 4)]; }
  v.setFloat64(0, n, false);
  return [0x47, ...b];
};
const slow = (f: () => unknown, ms: number): number => { const t0 = performance.now(); try { f(); } catch { /* timing only */ } return performance.now() - t0; };

/** `{'w': _rebuild_tensor_v2(<FloatStorage '0'>, offset, shape, stride, False, OrderedDict())}` in a torch zip whose storage holds `storage` floats. */
const tensorZip = (shape: number[], stride: number[], storage = 1, offset = 0, refs = 1): Uint8Array => {
  const tensor = cat('ctorch._utils\n_rebuild_tensor_v2\n', [0x28, 0x28], X('storage'), 'ctorch\nFloatStorage\n', X('0'), X('cpu'), J(storage), [0x74, 0x51],
    J(offset), [0x28], ...shape.map(J), [0x74, 0x28], ...stride.map(J), [0x74, 0x89], 'ccollections\nOrderedDict\n', [0x29, 0x52, 0x74, 0x52]);
  const keys = Array.from({ length: refs }, (_, i) => (i === 0 ? cat(X('w'), tensor, [0x71, 0]) : cat(X(`w${i}`), [0x68, 0]))); // BINPUT 0 / BINGET 0
  const pkl = cat([0x80, 2, 0x7d, 0x28], ...keys, [0x75, 0x2e]);
  return zipSync({ 'archive/data.pkl': [pkl, { level: 0 }], 'archive/data/0': [new Uint8Array(new Float32Array(storage).fill(1.5).buffer), { level: 0 }] });
};

test('torch tensor view: a well-formed stride-0 view still materialises (expand() of 1 element to [3])', () => {
  const sd = readTorchCheckpoint(tensorZip([3], [0]), { where: 'ok.pt' });
  assert.deepEqual([...sd.get('w')!.data], [1.5, 1.5, 1.5]);
});

test('torch tensor view: stride 0 claiming 10^8 elements from a 1-element storage is refused before allocating', () => {
  // Old: allocated 1.2 GB (Float64 indices + Float32 values) and ran for seconds.
  assert.throws(() => readTorchCheckpoint(tensorZip([100_000_000], [0]), { where: 'bcast.pt' }), (e: unknown) => e instanceof WeightsError && /^bcast\.pt: .*(broadcast views|more than \d+ elements)/.test(e.message));
  assert.throws(() => readTorchCheckpoint(tensorZip([20_000_000], [0]), { where: 'bcast.pt' }), (e: unknown) => e instanceof WeightsError && /^bcast\.pt: .*20000000 elements.*broadcast views/.test(e.message));
  assert.ok(slow(() => readTorchCheckpoint(tensorZip([100_000_000], [0])), 0) < 500);
});

test('torch tensor view: negative or fractional strides are refused (old: read before the storage start or misaligned)', () => {
  for (const stride of [[-1], [1.5]]) {
    assert.throws(() => readTorchCheckpoint(tensorZip([2], stride as number[], 4, 2), { where: 'neg.pt' }), (e: unknown) => e instanceof WeightsError && /stride/.test(e.message));
  }
});

test('torch: one 10^6-element broadcast tensor referenced 200 times (BINGET) stays within the element budget', () => {
  // Old: 200 independent 10^6-element copies (800 MB) from a 4 KB file.
  const f = tensorZip([1_000_000], [0], 1, 0, 200);
  assert.throws(() => readTorchCheckpoint(f, { where: 'refs.pt' }), (e: unknown) => e instanceof WeightsError && /more than \d+ elements/.test(e.message));
  const ok = readTorchCheckpoint(tensorZip([4], [0], 1, 0, 3));
  assert.equal(ok.size, 3);
  assert.notEqual(ok.get('w')!.data, ok.get('w1')!.data); // each key owns its array, as before
});

test('zip: a deflated entry claiming 2 GB uncompressed from a few bytes is refused before allocating', () => {
  const z = zipSync({ 'archive/data.pkl': [cat([0x80, 2, 0x4b, 7, 0x2e]), { level: 6 }] });
  const view = new DataView(z.buffer);
  for (let p = 0; p + 4 <= z.length; p++) if (view.getUint32(p, true) === 0x02014b50) view.setUint32(p + 24, 0x7fffffff, true);
  assert.throws(() => readTorchCheckpoint(z, { where: 'bomb.pt' }), (e: unknown) => e instanceof WeightsError && /claims 2147483647 bytes uncompressed/.test(e.message));
});

test('pickle LONG4 of 1 MB decodes in linear time (old: quadratic, ~75 s)', () => {
  const n = 1 << 20;
  const b = new Uint8Array(7 + n + 1);
  b.set([0x80, 2, 0x8b, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, 0]);
  b.fill(0x11, 7, 7 + n);
  b[7 + n] = 0x2e;
  assert.ok(slow(() => unpickle(b), 0) < 2000);
  // Values unchanged: two's complement little-endian.
  const long = (...bytes: number[]) => unpickle(cat([0x80, 2, 0x8a, bytes.length], bytes, [0x2e])).value;
  assert.equal(long(0xff, 0x7f), 0x7fff);
  assert.equal(long(0x00, 0x80), -32768);
  assert.equal(long(0xff), -1);
  assert.equal(long(0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19), 0x1950a86a20f9469cfc6cn);
});

test("pickle INT/LONG text: only decimal digits, at most Python's 4300 (old: BigInt took '0x10' and unbounded digit strings)", () => {
  const intLine = (s: string) => cat([0x80, 2], `I${s}\n.`);
  assert.equal(unpickle(intLine('-42')).value, -42);
  assert.equal(unpickle(intLine('01')).value, true);
  assert.throws(() => readTorchCheckpoint(intLine('0x10'), { where: 'hex.pt' }), (e: unknown) => e instanceof WeightsError && /decimal integer/.test(e.message));
  assert.throws(() => readTorchCheckpoint(intLine('9'.repeat(5000)), { where: 'big.pt' }), (e: unknown) => e instanceof WeightsError && /5000 digits/.test(e.message));
});

test('safetensors header claiming a 10^12-element tensor: WeightsError, no allocation', () => {
  const good = serializeSafetensors(new Map([['a', { dtype: 'float32', shape: [2], data: Float32Array.from([1, 2]) }]]));
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(good.subarray(8, 8 + n))) as Record<string, { shape: number[]; data_offsets: number[] }>;
  header.a = { ...header.a!, shape: [1e12], data_offsets: [0, 4e12] };
  const hb = enc.encode(JSON.stringify(header));
  const bad = cat(new Uint8Array(new BigUint64Array([BigInt(hb.length)]).buffer), hb, good.subarray(8 + n));
  assert.throws(() => parseSafetensors(bad, 'huge.safetensors'), (e: unknown) => e instanceof WeightsError && /^huge\.safetensors: .*data_offsets/.test(e.message));
});

test('npy shape of 10^12: DataError naming the shape and the bytes present, no allocation', () => {
  const header = `{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000,), }\n`;
  const bad = cat([0x93], 'NUMPY', [1, 0, header.length, 0], header, [0, 0, 128, 63]);
  assert.throws(() => parseNpy(bad, 'huge.npy'), (e: unknown) => e instanceof DataError && /^huge\.npy: .*1000000000000.*needs 4000000000000 data bytes, the file has 4/.test(e.message));
});

test('direction file: mismatched dark_direction, matrix direction or infinite mask_radius are WeightsErrors and leak no variable', () => {
  const g = { id: 'g', latentDim: 4, wDim: 4 } as Pick<Generator, 'id' | 'latentDim' | 'wDim'> as Generator;
  const file = (tensors: [string, number[]][], radius = '3', variant = 'dual') => serializeSafetensors(
    new Map(tensors.map(([k, shape]) => [k, { dtype: 'float32' as const, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }])),
    { format: 'gan-segmenter/latent-direction@1', generator_id: 'g', variant, space: 'z', mask_radius: radius });
  const before = tf.memory().numTensors;
  const cases: [Uint8Array, RegExp][] = [
    [file([['direction', [4]], ['dark_direction', [3]]]), /dark_direction.*expected \[4\]/], // old: ShapeError after leaking 2 variables
    [file([['direction', [2, 2]], ['dark_direction', [4]]]), /expected a vector/], // old: accepted a [2,2] matrix as a 4-vector
    [file([['direction', [4]], ['dark_direction', [4]]], 'Infinity'), /mask_radius/], // old: accepted
    [file([['direction', [4]]]), /dark_direction/], // dual without dark: old ShapeError after leaking a variable
  ];
  for (const [bytes, re] of cases) assert.throws(() => directionFromBytes(bytes, g, 'dir.safetensors'), (e: unknown) => e instanceof WeightsError && re.test(e.message));
  assert.equal(tf.memory().numTensors, before);
});
