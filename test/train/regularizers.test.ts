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

// Mapped generator: w = z·M (mapping), img = softplus(w)·A reshaped to [N,2,2,1] (synthesis).
// Jᵀy = σ(w) ⊙ (A y); ℓ_n = ‖σ(w_n) ⊙ (A y_n)‖ / √(HW); target a' = a + d·(mean ℓ − a); P = mean (ℓ_n − a')².
// Float64 reference, gradients w.r.t. M (through the latents: the mapping network) and A by central differences.
const plRef = (M: number[], A: number[], zs: number[][], ys: number[][], a: number, d: number): number => {
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));
  const lens = zs.map((z, n) => {
    const w = [0, 1].map((j) => z[0]! * M[j]! + z[1]! * M[2 + j]!);
    const Ay = [0, 1].map((j) => [0, 1, 2, 3].reduce((s, k) => s + A[j * 4 + k]! * ys[n]![k]!, 0));
    return Math.hypot(sig(w[0]!) * Ay[0]!, sig(w[1]!) * Ay[1]!) / 2;
  });
  const mean = lens.reduce((s, l) => s + l, 0) / lens.length, target = a + d * (mean - a);
  return lens.reduce((s, l) => s + (l - target) ** 2, 0) / lens.length;
};

test('pathLengthPenalty with decay: gradients w.r.t. mapping M and synthesis A (second order through w = z·M) match finite differences', async () => {
  const { pathLengthPenalty } = await import('../../src/train/regularizers.ts');
  const Mv = [0.7, -0.4, 0.3, 1.1], Av = [1, 2, 0, -1, 0.5, 0, 3, 1];
  const zs = [[0.5, -1.2], [1.5, 0.3], [-0.8, 0.9]], ys = [[0.2, -0.1, 0.4, 1], [-0.3, 0.5, 0.1, 0], [0.9, 0.2, -0.7, 0.3]];
  const a = 0.8, d = 0.01;
  const M = tf.variable(tf.tensor2d(Mv, [2, 2]), true, 'pl-M'), A = tf.variable(tf.tensor2d(Av, [2, 4]), true, 'pl-A');
  const z = tf.tensor2d(zs), y = tf.tensor4d(ys.flat(), [3, 2, 2, 1]);
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => {
    const { penalty } = pathLengthPenalty((w) => tf.reshape(tf.matMul(tf.softplus(w) as tf.Tensor2D, A), [-1, 2, 2, 1]) as tf.Tensor4D, tf.matMul(z, M), (shape) => {
      assert.deepEqual(shape, [3, 2, 2, 1]);
      return y.clone();
    }, a, d);
    return penalty;
  }, [M, A]);
  assert.ok(Math.abs(value.dataSync()[0]! - plRef(Mv, Av, zs, ys, a, d)) < 1e-6, `penalty ${value.dataSync()[0]} vs ${plRef(Mv, Av, zs, ys, a, d)}`);
  const h = 1e-5, gM = grads['pl-M']!.dataSync(), gA = grads['pl-A']!.dataSync();
  let maxErr = 0, normM = 0;
  Mv.forEach((_, k) => {
    const p = Mv.slice(), m = Mv.slice(); p[k]! += h; m[k]! -= h;
    const fd = (plRef(p, Av, zs, ys, a, d) - plRef(m, Av, zs, ys, a, d)) / (2 * h);
    normM += fd * fd;
    maxErr = Math.max(maxErr, Math.abs(fd - gM[k]!));
  });
  Av.forEach((_, k) => {
    const p = Av.slice(), m = Av.slice(); p[k]! += h; m[k]! -= h;
    maxErr = Math.max(maxErr, Math.abs((plRef(Mv, p, zs, ys, a, d) - plRef(Mv, m, zs, ys, a, d)) / (2 * h) - gA[k]!));
  });
  assert.ok(normM > 1e-4, 'the mapping gets a gradient'); // the test would be vacuous otherwise
  assert.ok(maxErr < 1e-4, `max abs error ${maxErr}`);
  value.dispose(); tf.dispose(grads);
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([M, A, z, y]);
});

test('pathLengthPenalty on per-layer latents [N,L,D]: length is √(mean_L Σ_D g²) (NVlabs)', async () => {
  const { pathLengthPenalty } = await import('../../src/train/regularizers.ts');
  // img = Σ_l w[:,l,:]·B_l: the gradient for layer l is B_l y, so ℓ = √(mean_l ‖B_l y‖²) / √(HW).
  const B = [[[1, 0, 2, -1], [0, 1, 1, 0]], [[0.5, -2, 0, 1], [3, 0, -1, 0.5]]]; // [L=2][D=2][HW=4]
  const yv = [0.3, -0.2, 0.6, 0.1];
  const Bt = B.map((b) => tf.tensor2d(b));
  const w = tf.tensor3d([[[0.1, 0.2], [0.3, 0.4]]]), y = tf.tensor4d(yv, [1, 2, 2, 1]);
  const synth = (lat: tf.Tensor): tf.Tensor4D => tf.reshape(tf.addN(Bt.map((b, l) => tf.matMul(tf.squeeze(tf.slice(lat, [0, l, 0], [-1, 1, -1]), [1]) as tf.Tensor2D, b))), [-1, 2, 2, 1]) as tf.Tensor4D;
  const { penalty, pathMean } = pathLengthPenalty(synth, w, y, 0);
  const sq = B.map((b) => b.reduce((s, row) => s + row.reduce((t, v, k) => t + v * yv[k]!, 0) ** 2, 0));
  const len = Math.sqrt((sq[0]! + sq[1]!) / 2) / 2;
  assert.ok(Math.abs(pathMean.dataSync()[0]! - len) < 1e-6, `${pathMean.dataSync()[0]} vs ${len}`);
  assert.ok(Math.abs(penalty.dataSync()[0]! - len * len) < 1e-5);
  tf.dispose([...Bt, w, y, penalty, pathMean]);
});
