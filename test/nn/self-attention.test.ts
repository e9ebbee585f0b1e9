import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { selfAttention } from '../../src/nn/self-attention.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('selfAttention x=[1,2,2,8]: one pooled key ⇒ every position gets γ·maxpool(x·Wg)·Wo', () => {
  const xs = Array.from({ length: 32 }, (_, i) => Math.sin(i * 1.7) * 2);
  const x = tf.tensor4d(xs, [1, 2, 2, 8]);
  const eye = (r: number, c: number): tf.Tensor2D => tf.tensor2d(Array.from({ length: r * c }, (_, k) => (Math.floor(k / c) === k % c ? 1 : 0)), [r, c]);
  const w = { theta: tf.ones([8, 1]) as tf.Tensor2D, phi: tf.ones([8, 1]) as tf.Tensor2D, g: eye(8, 4), o: eye(4, 8), gamma: tf.tensor1d([0.5]) };
  const before = tf.memory().numTensors;
  const y = selfAttention(x, w);
  const out = y.dataSync();
  for (let p = 0; p < 4; p++) {
    for (let c = 0; c < 8; c++) {
      const max = Math.max(...[0, 1, 2, 3].map((q) => xs[q * 8 + c]!));
      const want = xs[p * 8 + c]! + (c < 4 ? 0.5 * max : 0);
      assert.ok(Math.abs(out[p * 8 + c]! - want) < 1e-5, `p${p} c${c}: ${out[p * 8 + c]} vs ${want}`);
    }
  }
  y.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  assert.throws(() => selfAttention(x, { theta: tf.ones([4, 1]) as tf.Tensor2D, phi: tf.ones([8, 1]) as tf.Tensor2D, g: eye(8, 4), o: eye(4, 8), gamma: tf.scalar(0) }), /theta/);
});
