import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { r1Penalty } from '../../src/train/regularizers.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

// Tiny D: x[N,2,2,1] → flatten(4) → W1[4,3] → softplus → w2[3,1].
// ∇ₓD = W1 (w2 ⊙ σ(W1ᵀx)); R1 = mean_n ‖∇ₓD‖². Reference in float64, gradient by central differences.
const r1Ref = (W1: number[], w2: number[], xs: number[][]): number => {
  let total = 0;
  for (const x of xs) {
    const pre = [0, 1, 2].map((j) => x.reduce((s, xi, i) => s + xi * W1[i * 3 + j]!, 0));
    const a = pre.map((p, j) => w2[j]! / (1 + Math.exp(-p)));
    for (let i = 0; i < 4; i++) { const gi = a.reduce((s, aj, j) => s + W1[i * 3 + j]! * aj, 0); total += gi * gi; }
  }
  return total / xs.length;
};

// Note: tfjs loses second-order terms through ops whose gradient reuses their saved OUTPUT (tanh, sigmoid, exp):
// softplus (gradient from its input) is exact, as are conv/dense/leakyRelu.
test('r1Penalty gradients w.r.t. D weights (second order) match finite differences of a float64 reference', () => {
  const W1v = [0.3, -0.5, 0.8, 0.1, 0.7, -0.2, -0.6, 0.4, 0.25, 0.9, -0.3, 0.05];
  const w2v = [0.6, -1.1, 0.45];
  const xs = [[0.5, -0.2, 0.1, 0.9], [-0.7, 0.3, 0.8, -0.4]];
  const W1 = tf.variable(tf.tensor2d(W1v, [4, 3]), true, 'r1-W1');
  const w2 = tf.variable(tf.tensor2d(w2v, [3, 1]), true, 'r1-w2');
  const x = tf.tensor4d(xs.flat(), [2, 2, 2, 1]);
  const d = (img: tf.Tensor4D): tf.Tensor => tf.matMul(tf.softplus(tf.matMul(tf.reshape(img, [-1, 4]), W1)), w2);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => r1Penalty(d, x), [W1, w2]);
  assert.ok(Math.abs(value.dataSync()[0]! - r1Ref(W1v, w2v, xs)) < 1e-5);
  const h = 1e-5;
  let maxErr = 0;
  const gW1 = grads['r1-W1']!.dataSync(), gw2 = grads['r1-w2']!.dataSync();
  W1v.forEach((_, k) => {
    const p = W1v.slice(), m = W1v.slice(); p[k]! += h; m[k]! -= h;
    maxErr = Math.max(maxErr, Math.abs((r1Ref(p, w2v, xs) - r1Ref(m, w2v, xs)) / (2 * h) - gW1[k]!));
  });
  w2v.forEach((_, k) => {
    const p = w2v.slice(), m = w2v.slice(); p[k]! += h; m[k]! -= h;
    maxErr = Math.max(maxErr, Math.abs((r1Ref(W1v, p, xs) - r1Ref(W1v, m, xs)) / (2 * h) - gw2[k]!));
  });
  assert.ok(maxErr < 1e-4, `max abs error ${maxErr}`);
  value.dispose(); tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([W1, w2, x]);
});

test('pathLengthPenalty for linear synthesis img = w·A (w [2,2], img [2,2,2,1]) matches ‖A y‖/√(HW)', async () => {
  const { pathLengthPenalty } = await import('../../src/train/regularizers.ts');
  const A = [[1, 2, 0, -1], [0.5, 0, 3, 1]];
  const y = [[0.2, -0.1, 0.4, 1], [-0.3, 0.5, 0.1, 0]];
  const At = tf.tensor2d(A), w = tf.tensor2d([[0.1, 0.2], [0.3, -0.4]]), noise = tf.tensor4d(y.flat(), [2, 2, 2, 1]);
  const { penalty, pathMean } = pathLengthPenalty((lat) => tf.reshape(tf.matMul(lat as tf.Tensor2D, At), [2, 2, 2, 1]) as tf.Tensor4D, w, noise, 1.5);
  const lens = y.map((yn) => Math.hypot(...A.map((row) => row.reduce((s, a, k) => s + a * yn[k]!, 0))) / 2);
  assert.ok(Math.abs(pathMean.dataSync()[0]! - (lens[0]! + lens[1]!) / 2) < 1e-6);
  assert.ok(Math.abs(penalty.dataSync()[0]! - ((lens[0]! - 1.5) ** 2 + (lens[1]! - 1.5) ** 2) / 2) < 1e-6);
  tf.dispose([At, w, noise, penalty, pathMean]);
});
