import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../../src/core/errors.ts';
import { npyToTensor, parseNpy, serializeNpy, tensorToNpy, type NpyArray, type NpyDType } from '../../src/io/npy.ts';
import { readNpy, writeNpy } from '../../src/io/npy-file.ts';

type Expected = Record<string, { shape: number[]; values: number[] }>;
const expected = JSON.parse(readFileSync('test/fixtures/io/expected.json', 'utf8')) as Expected;

const close = (got: ArrayLike<number>, want: readonly number[], tol: number, what: string): void => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, g = got[i]!;
    assert.ok(Math.abs(g - w) <= tol * Math.max(1, Math.abs(w)), `${what}[${i}]: got ${g}, want ${w}`);
  }
};

test('files written by numpy (every dtype, scalar, Fortran order, v2.0 and v3.0 headers) read back exactly', () => {
  const dtypes: Record<string, NpyDType> = { f4: '<f4', f8: '<f8', f2: '<f2', i4: '<i4', i8: '<i8', u1: '|u1', b1: '|b1', scalar: '<f4', fortran: '<f4', v2: '<f4', v3: '<f4' };
  for (const [name, dtype] of Object.entries(dtypes)) {
    const a = readNpy(`test/fixtures/io/${name}.npy`);
    const want = expected[name]!;
    assert.equal(a.dtype, dtype, name);
    assert.deepEqual(a.shape, want.shape, name);
    close(a.data, want.values, name === 'f2' ? 1e-3 : name === 'f8' ? 0 : 1e-7, name);
  }
});

test('round trip keeps dtype, shape and values for every writable dtype', () => {
  const cases: NpyArray[] = [
    { dtype: '<f4', shape: [2, 3], data: Float32Array.from([0.5, -1, 2, 3.25, 1e-8, -7]) },
    { dtype: '<f8', shape: [3], data: Float64Array.from([Math.PI, -1e300, 0]) },
    { dtype: '<i4', shape: [2, 2], data: Int32Array.from([-2147483648, 2147483647, 0, -1]) },
    { dtype: '<i8', shape: [2], data: Float64Array.from([-(2 ** 50), 2 ** 50]) },
    { dtype: '<i2', shape: [2], data: Int32Array.from([-32768, 32767]) },
    { dtype: '|i1', shape: [2], data: Int32Array.from([-128, 127]) },
    { dtype: '|u1', shape: [1, 3], data: Uint8Array.from([0, 128, 255]) },
    { dtype: '|b1', shape: [2], data: Uint8Array.from([1, 0]) },
    { dtype: '<f4', shape: [], data: Float32Array.from([42]) },
    { dtype: '<f4', shape: [0, 5], data: new Float32Array(0) },
  ];
  for (const a of cases) {
    const bytes = serializeNpy(a);
    assert.equal((bytes[8]! | (bytes[9]! << 8)) + 10, 64 * Math.ceil(((bytes[8]! | (bytes[9]! << 8)) + 10) / 64), 'data starts at a multiple of 64');
    const b = parseNpy(bytes);
    assert.equal(b.dtype, a.dtype);
    assert.deepEqual(b.shape, a.shape);
    assert.deepEqual(Array.from(b.data), Array.from(a.data));
  }
});

test('writeNpy is atomic and readable by the reader; tensors convert both ways', () => {
  const dir = mkdtempSync(join(tmpdir(), 'npy-'));
  try {
    const x = tf.tensor4d(Float32Array.from({ length: 24 }, (_, i) => i / 7), [1, 2, 3, 4]);
    writeNpy(join(dir, 'sub', 'images.npy'), tensorToNpy(x));
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['images.npy']);
    const y = npyToTensor(readNpy(join(dir, 'sub', 'images.npy')));
    assert.deepEqual(y.shape, [1, 2, 3, 4]);
    assert.deepEqual(Array.from(y.dataSync()), Array.from(x.dataSync()));
    tf.dispose([x, y]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad files are DataErrors naming the file: truncated, bad magic, big-endian, unsupported dtype, missing', () => {
  const good = readFileSync('test/fixtures/io/f4.npy');
  const dir = mkdtempSync(join(tmpdir(), 'npy-bad-'));
  try {
    const cases: Record<string, Uint8Array> = {
      truncated: good.subarray(0, good.length - 5),
      'header-cut': good.subarray(0, 40),
      magic: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
      bigendian: serializeNpy({ dtype: '<f4', shape: [1], data: Float32Array.from([1]) }).map((b, i, arr) => (i > 10 && arr[i - 1] === 0x27 && b === 0x3c ? 0x3e : b)),
      complex: Uint8Array.from(Buffer.from(Buffer.from(good).toString('latin1').replace("'<f4'", "'<c8'"), 'latin1')),
      extra: Uint8Array.from([...good, 0, 0, 0, 0]),
    };
    for (const [name, bytes] of Object.entries(cases)) {
      const f = join(dir, `${name}.npy`);
      writeFileSync(f, bytes);
      assert.throws(() => readNpy(f), (e: unknown) => e instanceof DataError && e.message.includes(f) && e.file === f, name);
    }
    assert.throws(() => readNpy(join(dir, 'missing.npy')), DataError);
    assert.throws(() => serializeNpy({ dtype: '<f4', shape: [3], data: new Float32Array(2) }), DataError);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
