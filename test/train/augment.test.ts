import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { augmentCutout, augmentTranslation, diffAugment } from '../../src/train/augment.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('augmentTranslation x=[3,8,8,2] equals a loop shift by the same Rng draws (zero padded)', () => {
  const [n, h, w, c] = [3, 8, 8, 2];
  const xv = new Rng(1).uniformArray(n * h * w * c, -1, 1);
  const x = tf.tensor4d(xv, [n, h, w, c]);
  const y = augmentTranslation(x, new Rng('t'), 0.25).dataSync();
  const r = new Rng('t');
  const dy = Array.from({ length: n }, () => r.int(-2, 3)), dx = Array.from({ length: n }, () => r.int(-2, 3));
  assert.ok(dy.some((d) => d !== 0));
  let maxErr = 0;
  for (let k = 0; k < n; k++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let ch = 0; ch < c; ch++) {
    const si = i - dy[k]!, sj = j - dx[k]!;
    const want = si >= 0 && si < h && sj >= 0 && sj < w ? xv[((k * h + si) * w + sj) * c + ch]! : 0;
    maxErr = Math.max(maxErr, Math.abs(y[((k * h + i) * w + j) * c + ch]! - want));
  }
  assert.equal(maxErr, 0);
  x.dispose();
});

test('augmentCutout x=[4,8,8,1] zeroes at most a 4×4 square per image; diffAugment is seeded, differentiable and leak-free', () => {
  const x = tf.ones([4, 8, 8, 1]) as tf.Tensor4D;
  const y = augmentCutout(x, new Rng(3), 0.5).dataSync();
  for (let k = 0; k < 4; k++) {
    const zeros = y.slice(k * 64, (k + 1) * 64).filter((v) => v === 0).length;
    assert.ok(zeros > 0 && zeros <= 16, `image ${k}: ${zeros} zeros`);
  }
  const before = tf.memory().numTensors;
  const policy = ['color', 'translation', 'cutout'] as const;
  const a = diffAugment(x, [...policy], new Rng(5)), b = diffAugment(x, [...policy], new Rng(5)), c = diffAugment(x, [...policy], new Rng(6));
  assert.deepEqual([...a.dataSync()], [...b.dataSync()]);
  assert.notDeepEqual([...a.dataSync()], [...c.dataSync()]);
  const g = tf.grad((v: tf.Tensor) => tf.sum(diffAugment(v as tf.Tensor4D, [...policy], new Rng(5))))(x);
  assert.ok(g.dataSync().every(Number.isFinite));
  assert.ok(g.dataSync().some((v) => v !== 0));
  tf.dispose([a, b, c, g]);
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
