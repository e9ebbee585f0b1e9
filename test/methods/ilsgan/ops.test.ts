import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { clampSymmetric, leakyReluClamp, modulatedConvLean } from '../../../src/methods/ilsgan/index.ts';
import { modulatedConv2d } from '../../../src/nn/modulated-conv.ts';
import { fusedLeakyRelu } from '../../../src/nn/fused-act.ts';

// The conv_clamp ops replace tf.clipByValue (and fusedLeakyRelu then clipByValue) for speed and memory:
// they must give the same values, gradients and second-order gradients (R1 through D) bit for bit.

const maxDiff = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

for (const backend of ['wasm', 'auto'] as const) {
  test(`clampSymmetric and leakyReluClamp = tf.clipByValue(·) / tf.clipByValue(fusedLeakyRelu(·)): values, gradients, R1 (${backend})`, async () => {
    await initBackend({ ...(backend === 'auto' ? {} : { backend }), ignoreEnv: true });
    const before = tf.memory().numTensors;
    const rng = new Rng('ilsgan-ops');
    const c = 0.7;
    // values beyond ±c and exactly at ±c (where tfjs's clip gradient still passes dy)
    const raw = rng.uniformArray(3 * 6 * 6 * 8, -2, 2);
    raw[0] = c; raw[1] = -c; raw[2] = 0; raw[3] = 2 * c;
    const x = tf.tensor4d(raw, [3, 6, 6, 8]);
    const w = tf.tidy(() => tf.variable(tf.tensor4d(rng.uniformArray(3 * 3 * 8 * 8, -0.5, 0.5), [3, 3, 8, 8])));
    const b = tf.tidy(() => tf.variable(tf.tensor1d(rng.uniformArray(8, -0.3, 0.3))));
    const v = tf.tensor4d(rng.uniformArray(3 * 6 * 6 * 8, -1, 1), [3, 6, 6, 8]);
    const pairs: [string, (t: tf.Tensor4D) => tf.Tensor4D, (t: tf.Tensor4D) => tf.Tensor4D][] = [
      ['clampSymmetric', (t) => tf.clipByValue(t, -c, c), (t) => clampSymmetric(t, c)],
      ['leakyReluClamp', (t) => tf.clipByValue(fusedLeakyRelu(t, b as tf.Tensor1D), -c, c), (t) => leakyReluClamp(t, b as tf.Tensor1D, c)],
    ];
    for (const [name, ref, ours] of pairs) {
      const net = (f: (t: tf.Tensor4D) => tf.Tensor4D) => (t: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(f(tf.conv2d(f(t as tf.Tensor4D), w as tf.Tensor4D, 1, 'same')), v));
      tf.tidy(() => {
        assert.equal(maxDiff(ref(x), ours(x)), 0, `${name}: values`);
        assert.ok(tf.sum(tf.cast(tf.greater(tf.abs(ref(x)), c - 1e-6), 'float32')).dataSync()[0]! > 0, `${name}: clamping is active`);
        assert.equal(maxDiff(tf.grad(net(ref))(x), tf.grad(net(ours))(x)), 0, `${name}: input gradient`);
        const g1 = tf.variableGrads(() => net(ref)(x), [w, b]), g2 = tf.variableGrads(() => net(ours)(x), [w, b]);
        assert.equal(maxDiff(g1.grads[w.name]!, g2.grads[w.name]!), 0, `${name}: weight gradient`);
        const r1 = (f: (t: tf.Tensor4D) => tf.Tensor4D) => (): tf.Scalar => tf.sum(tf.square(tf.grad(net(f))(x)));
        const s1 = tf.variableGrads(r1(ref), [w, b]), s2 = tf.variableGrads(r1(ours), [w, b]);
        assert.equal(maxDiff(s1.value, s2.value), 0, `${name}: R1 value`);
        assert.ok(tf.sum(tf.abs(s1.grads[w.name]!)).dataSync()[0]! > 0);
        assert.equal(maxDiff(s1.grads[w.name]!, s2.grads[w.name]!), 0, `${name}: R1 weight gradient`);
        if (s1.grads[b.name]) assert.equal(maxDiff(s1.grads[b.name]!, s2.grads[b.name]!), 0, `${name}: R1 bias gradient`);
      });
    }
    tf.dispose([x, w, b, v]);
    assert.equal(tf.memory().numTensors, before);
  });
}

test('modulatedConvLean = modulatedConv2d (x=[2,5,5,6], s=[2,6], w 3×3 and 1×1, with and without 2× up and demodulation): values and gradients of x, s, w', async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
  const before = tf.memory().numTensors;
  const rng = new Rng('ilsgan-modconv');
  const x = tf.tensor4d(rng.uniformArray(2 * 5 * 5 * 6, -1, 1), [2, 5, 5, 6]);
  const s = tf.tensor2d(rng.uniformArray(2 * 6, 0.5, 1.5), [2, 6]);
  const cases = [
    { k: 3, demodulate: true, upsample: false }, { k: 3, demodulate: true, upsample: true },
    { k: 1, demodulate: false, upsample: false }, { k: 3, demodulate: false, upsample: true },
  ];
  for (const { k, demodulate, upsample } of cases) {
    tf.tidy(() => {
      const w = tf.tensor4d(rng.uniformArray(k * k * 6 * 7, -1, 1), [k, k, 6, 7]);
      const h = upsample ? 10 : 5;
      const v = tf.tensor4d(rng.uniformArray(2 * h * h * 7, -1, 1), [2, h, h, 7]);
      const o = { demodulate, upsample, blurKernel: [1, 3, 3, 1] };
      const label = `k ${k}, demodulate ${demodulate}, up ${upsample}`;
      assert.equal(maxDiff(modulatedConv2d(x, w, s, o), modulatedConvLean(x, w, s, o)), 0, `${label}: values`);
      const loss = (f: typeof modulatedConv2d) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor): tf.Scalar =>
        tf.sum(tf.mul(f(a as tf.Tensor4D, c as tf.Tensor4D, b as tf.Tensor2D, o), v));
      const g1 = tf.grads(loss(modulatedConv2d))([x, s, w]), g2 = tf.grads(loss(modulatedConvLean))([x, s, w]);
      ['x', 's', 'w'].forEach((name, i) => assert.equal(maxDiff(g1[i]!, g2[i]!), 0, `${label}: gradient of ${name}`));
    });
  }
  tf.dispose([x, s]);
  assert.equal(tf.memory().numTensors, before);
});
