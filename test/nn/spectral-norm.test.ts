import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { bigganSpectralSigma, spectralNormalized, torchSpectralSigma } from '../../src/nn/spectral-norm.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('torchSpectralSigma W=[[1,2],[3,4]] u=[0.6,0.8] v=[1,0] is uᵀ(W_mat v) = 2.2', () => {
  // Our [K,O] = [[1,2],[3,4]] ⇒ W_mat = [[1,3],[2,4]]; W_mat·[1,0] = [1,2]; u·[1,2] = 2.2.
  const s = torchSpectralSigma(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor1d([0.6, 0.8]), tf.tensor1d([1, 0]));
  assert.ok(Math.abs(s.dataSync()[0]! - 2.2) < 1e-6);
  // The same weights as a 1×1 HWIO filter give the same σ.
  const s4 = torchSpectralSigma(tf.tensor4d([[[[1, 2], [3, 4]]]]), tf.tensor1d([0.6, 0.8]), tf.tensor1d([1, 0]));
  assert.ok(Math.abs(s4.dataSync()[0]! - 2.2) < 1e-6);
});

test('bigganSpectralSigma: one power step from u0=[1,0] on [[1,2],[3,4]] gives √29.6', () => {
  // v = normalize(W·u) = [1,3]/√10; vᵀW = [10,14]/√10; σ = ‖vᵀW‖ = √(296/10).
  const w = tf.tensor2d([[1, 2], [3, 4]]);
  const s = bigganSpectralSigma(w, tf.tensor1d([1, 0]), 1e-12);
  assert.ok(Math.abs(s.dataSync()[0]! - Math.sqrt(29.6)) < 1e-5);
  // Converges toward the top singular value (5.4650) and never exceeds it.
  assert.ok(s.dataSync()[0]! <= 5.46499 + 1e-5);
  const wn = spectralNormalized(w, s);
  assert.ok(Math.abs(wn.dataSync()[3]! - 4 / Math.sqrt(29.6)) < 1e-5);
  // eps guards a zero u: σ = 0, no NaN.
  assert.equal(bigganSpectralSigma(w, tf.tensor1d([0, 0]), 1e-4).dataSync()[0], 0);
});
