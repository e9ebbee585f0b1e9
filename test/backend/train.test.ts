import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { relErr } from './reference.ts';

type Params = Record<string, tf.Variable>;

const param = (rng: Rng, name: string, shape: number[], std: number): [string, tf.Variable] =>
  [name, tf.variable(tf.tensor(rng.normalArray(shape.reduce((a, b) => a * b, 1), 0, std), shape), true)];

/** conv+bias+leakyRelu → stride-2 conv → batchNorm → conv2dTranspose ×2 → nearest ×2 → avgPool /2 → conv → tanh. */
const makeNet = (rng: Rng): Params =>
  Object.fromEntries([
    param(rng, 'w1', [3, 3, 3, 4], 0.3), param(rng, 'b1', [4], 0.1),
    param(rng, 'w2', [3, 3, 4, 6], 0.3), param(rng, 'gamma', [6], 0.1), param(rng, 'beta', [6], 0.1),
    param(rng, 'wt', [4, 4, 4, 6], 0.2), // conv2dTranspose filter [K,K,out,in]
    param(rng, 'w3', [3, 3, 4, 3], 0.3),
  ]);

const net = (p: Params, x: tf.Tensor4D): tf.Tensor4D => {
  const [n, h, w] = x.shape;
  let y = tf.leakyRelu(tf.add(tf.conv2d(x, p['w1'] as tf.Tensor4D, 1, 'same'), p['b1']!), 0.2) as tf.Tensor4D; // [N,H,W,4]
  y = tf.conv2d(y, p['w2'] as tf.Tensor4D, 2, 'same'); // [N,H/2,W/2,6]
  const { mean, variance } = tf.moments(y, [0, 1, 2]);
  y = tf.leakyRelu(tf.batchNorm(y, mean, variance, tf.add(p['beta']!, 0), tf.add(p['gamma']!, 1), 1e-5), 0.2) as tf.Tensor4D;
  y = tf.conv2dTranspose(y, p['wt'] as tf.Tensor4D, [n, h, w, 4], 2, 'same'); // [N,H,W,4]
  y = tf.image.resizeNearestNeighbor(y, [2 * h, 2 * w]); // [N,2H,2W,4]
  y = tf.avgPool(y, 2, 2, 'valid'); // [N,H,W,4]
  return tf.tanh(tf.conv2d(y, p['w3'] as tf.Tensor4D, 1, 'same'));
};

/** A tiny discriminator: conv+bias → leakyRelu → avgPool → stride-2 conv → leakyRelu → linear. */
const makeD = (rng: Rng): Params =>
  Object.fromEntries([param(rng, 'd1', [3, 3, 3, 4], 0.3), param(rng, 'db', [4], 0.1), param(rng, 'd2', [3, 3, 4, 4], 0.3), param(rng, 'dl', [16, 1], 0.3)]);

const discriminate = (p: Params, x: tf.Tensor4D): tf.Tensor1D => {
  let y = tf.leakyRelu(tf.add(tf.conv2d(x, p['d1'] as tf.Tensor4D, 1, 'same'), p['db']!), 0.2) as tf.Tensor4D; // [N,8,8,4]
  y = tf.avgPool(y, 2, 2, 'same'); // [N,4,4,4]
  y = tf.leakyRelu(tf.conv2d(y, p['d2'] as tf.Tensor4D, 2, 'same'), 0.2) as tf.Tensor4D; // [N,2,2,4]
  return tf.matMul(tf.reshape(y, [x.shape[0], 16]), p['dl'] as tf.Tensor2D).reshape([x.shape[0]]);
};

/** R1 = mean_n ||∇ₓ D(x)_n||² (StyleGAN2's penalty, without γ/2). */
const r1Penalty = (p: Params, x: tf.Tensor4D): tf.Scalar => {
  const g = tf.grad((xx: tf.Tensor) => tf.sum(discriminate(p, xx as tf.Tensor4D)))(x);
  return tf.mean(tf.sum(tf.square(g), [1, 2, 3]));
};

const r1Results: Record<string, { value: number; grads: Record<string, Float32Array> }> = {};

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`training on ${backend}`, () => {
    test('a small conv net (conv, stride-2 conv, batchNorm, conv2dTranspose, nearest resize, avgPool, tanh) trains with adam, leak-free', async () => {
      await initBackend({ backend, ignoreEnv: true });
      const rng = new Rng('train');
      const p = makeNet(rng);
      const x = tf.tensor4d(rng.normalArray(2 * 8 * 8 * 3), [2, 8, 8, 3]);
      const target = tf.tensor4d(rng.uniformArray(2 * 8 * 8 * 3, -0.8, 0.8), [2, 8, 8, 3]);
      const opt = tf.train.adam(0.02);
      const losses: number[] = [];
      let afterFirst = 0;
      for (let step = 0; step < 50; step++) {
        const loss = opt.minimize(() => tf.mean(tf.square(tf.sub(net(p, x), target))) as tf.Scalar, true, Object.values(p))!;
        losses.push(loss.dataSync()[0]!);
        loss.dispose();
        if (step === 0) afterFirst = tf.memory().numTensors;
      }
      assert.equal(tf.memory().numTensors, afterFirst, 'numTensors after 50 steps equals numTensors after 1');
      console.log(`# ${backend} loss: step 1 ${losses[0]!.toFixed(4)} → step 50 ${losses[49]!.toFixed(4)}`);
      assert.ok(losses.every(Number.isFinite), 'finite losses');
      assert.ok(losses[49]! < 0.6 * losses[0]!, `loss falls: ${losses[0]} → ${losses[49]}`);
      opt.dispose();
      tf.dispose([x, target, ...Object.values(p)]);
    });

    test('R1 penalty x=[2,8,8,3] through leakyRelu and avgPool: value and weight gradients, leak-free steps', async () => {
      await initBackend({ backend, ignoreEnv: true });
      const rng = new Rng('r1');
      const p = makeD(rng);
      const x = tf.tensor4d(rng.normalArray(2 * 8 * 8 * 3), [2, 8, 8, 3]);
      const { value, grads } = tf.variableGrads(() => r1Penalty(p, x), Object.values(p));
      const names = Object.fromEntries(Object.entries(p).map(([k, v]) => [v.name, k]));
      r1Results[backend] = { value: value.dataSync()[0]!, grads: Object.fromEntries(Object.entries(grads).map(([k, g]) => [names[k]!, g.dataSync() as Float32Array])) };
      tf.dispose([value, ...Object.values(grads)]);
      assert.ok(r1Results[backend]!.value > 0 && Number.isFinite(r1Results[backend]!.value));
      // leakyRelu′ is piecewise constant, so ∇ₓD and hence R1 do not depend on the first bias
      for (const [k, g] of Object.entries(r1Results[backend]!.grads)) assert.equal(g.some((v) => v !== 0), k !== 'db', `R1 gradient of ${k}`);
      // a few regularisation steps change nothing in the tensor count
      const opt = tf.train.adam(0.01);
      let afterFirst = 0;
      for (let step = 0; step < 5; step++) {
        opt.minimize(() => r1Penalty(p, x), false, Object.values(p));
        if (step === 0) afterFirst = tf.memory().numTensors;
      }
      assert.equal(tf.memory().numTensors, afterFirst);
      opt.dispose();
      tf.dispose([x, ...Object.values(p)]);
    });
  });
}

test('R1 value and gradients match between cpu and wasm (relative error ≤ 1e-4)', () => {
  const cpu = r1Results['cpu'], wasm = r1Results['wasm'];
  assert.ok(cpu && wasm, 'both backends ran');
  let worst = relErr([wasm.value], [cpu.value]);
  for (const k of Object.keys(cpu.grads)) worst = Math.max(worst, relErr(wasm.grads[k]!, cpu.grads[k]!));
  console.log(`# R1 cpu vs wasm worst relative error: ${worst}`);
  assert.ok(worst <= 1e-4, `relative error ${worst}`);
});
