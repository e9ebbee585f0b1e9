import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';

// Reference: plain index arithmetic over nested loops (independent of the kernels under test).
const flatIndex = (idx: readonly number[], shape: readonly number[]): number => idx.reduce((a, v, k) => a * shape[k]! + v, 0);
const forEachIndex = (shape: readonly number[], f: (idx: number[]) => void): void => {
  const n = shape.reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) {
    const idx: number[] = []; let r = i;
    for (let k = shape.length - 1; k >= 0; k--) { idx.unshift(r % shape[k]!); r = Math.floor(r / shape[k]!); }
    f(idx);
  }
};
const refSlice = (v: ArrayLike<number>, shape: number[], begin: number[], size: number[]): number[] => {
  const out: number[] = [];
  forEachIndex(size, (idx) => out.push(v[flatIndex(idx.map((x, k) => x + begin[k]!), shape)]!));
  return out;
};
const refPad = (v: ArrayLike<number>, shape: number[], pads: Array<[number, number]>, c: number): number[] => {
  const outShape = shape.map((n, k) => n + pads[k]![0] + pads[k]![1]);
  const out: number[] = [];
  forEachIndex(outShape, (idx) => {
    const src = idx.map((x, k) => x - pads[k]![0]);
    out.push(src.every((x, k) => x >= 0 && x < shape[k]!) ? v[flatIndex(src, shape)]! : c);
  });
  return out;
};

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('cpu Slice (row copies) equals index arithmetic for ranks 1–5, float32 and int32, size -1', () => {
  const rng = new Rng('slice');
  for (let trial = 0; trial < 60; trial++) {
    const rank = 1 + (trial % 5);
    const shape = Array.from({ length: rank }, () => rng.int(1, 6));
    const begin = shape.map((n) => rng.int(0, n));
    const size = shape.map((n, k) => (rng.uniform() < 0.2 ? -1 : rng.int(0, n - begin[k]! + 1)));
    const full = size.map((s, k) => (s === -1 ? shape[k]! - begin[k]! : s));
    const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(-100, 100));
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tf.tensor(data, shape, dtype);
      const y = tf.slice(x, begin, size);
      assert.deepEqual(y.shape, full);
      assert.equal(y.dtype, dtype);
      assert.deepEqual(Array.from(y.dataSync()), refSlice(data, shape, begin, full), `shape ${shape} begin ${begin} size ${size}`);
      tf.dispose([x, y]);
    }
  }
});

test('cpu PadV2 (row copies) equals index arithmetic, with a constant; Slice gradient is the padded dy', () => {
  const rng = new Rng('pad');
  for (let trial = 0; trial < 40; trial++) {
    const rank = 1 + (trial % 4);
    const shape = Array.from({ length: rank }, () => rng.int(1, 5));
    const pads = shape.map(() => [rng.int(0, 3), rng.int(0, 3)] as [number, number]);
    const c = trial % 3 === 0 ? 0 : rng.int(-5, 5);
    const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1));
    const x = tf.tensor(data, shape, 'float32');
    const y = tf.pad(x, pads, c);
    const ref = refPad(Float32Array.from(data), shape, pads, c);
    assert.deepEqual(Array.from(y.dataSync()), Array.from(Float32Array.from(ref)));
    tf.dispose([x, y]);
  }
  // d/dx sum(w ⊙ slice(x)) = w placed at the slice, zeros elsewhere.
  const x = tf.tensor3d(Array.from({ length: 2 * 5 * 4 }, (_, i) => i), [2, 5, 4]);
  const w = tf.tensor3d(Array.from({ length: 2 * 3 * 2 }, (_, i) => i + 1), [2, 3, 2]);
  const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.slice(t, [0, 1, 1], [2, 3, 2]), w)))(x);
  assert.deepEqual(Array.from(g.dataSync()), refPad(w.dataSync(), [2, 3, 2], [[0, 0], [1, 1], [1, 1]], 0));
  tf.dispose([x, w, g]);
});

test('cpu Transpose (strided odometer) equals index arithmetic for ranks 1–5 and every kind of permutation', () => {
  const rng = new Rng('transpose');
  for (let trial = 0; trial < 60; trial++) {
    const rank = 1 + (trial % 5);
    const shape = Array.from({ length: rank }, () => rng.int(1, 5));
    const perm = rng.shuffle(Array.from({ length: rank }, (_, i) => i));
    const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.int(-100, 100));
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tf.tensor(data, shape, dtype);
      const y = tf.transpose(x, perm);
      const outShape = perm.map((p) => shape[p]!);
      const ref: number[] = [];
      forEachIndex(outShape, (idx) => { const src = new Array<number>(rank); perm.forEach((p, k) => { src[p] = idx[k]!; }); ref.push(data[flatIndex(src, shape)]!); });
      assert.deepEqual(y.shape, outShape);
      assert.deepEqual(Array.from(y.dataSync()), ref, `shape ${shape} perm ${perm}`);
      tf.dispose([x, y]);
    }
  }
});

test('cpu Transpose merges dims and drops size-1 ones exactly: every permutation of ranks 1–4 on shapes with mergeable and size-1 dims, rank 6, identity, all-ones; float32 and int32', () => {
  const perms = (n: number): number[][] => (n === 0 ? [[]] : perms(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
  const check = (shape: number[], perm: number[]): void => {
    const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i + 1);
    const outShape = perm.map((p) => shape[p]!);
    const ref: number[] = [];
    forEachIndex(outShape, (idx) => { const src = new Array<number>(shape.length); perm.forEach((p, k) => { src[p] = idx[k]!; }); ref.push(data[flatIndex(src, shape)]!); });
    for (const dtype of ['float32', 'int32'] as const) {
      const x = tf.tensor(data, shape, dtype), y = tf.transpose(x, perm);
      assert.deepEqual(y.shape, outShape);
      assert.deepEqual(Array.from(y.dataSync()), ref, `${dtype} shape ${shape} perm ${perm}`);
      tf.dispose([x, y]);
    }
  };
  for (const shape of [[7], [3, 5], [2, 3, 4], [1, 3, 1, 4], [2, 1, 3, 40], [4, 5, 6, 3], [2, 33, 3, 2]]) for (const perm of perms(shape.length)) check(shape, perm);
  check([2, 3, 2, 2, 3, 2], [5, 3, 1, 0, 4, 2]);
  check([2, 3, 2, 2, 3, 2], [0, 1, 2, 3, 4, 5]);
  check([1, 1, 1], [2, 0, 1]);
});
