import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { ShapeError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { batchNorm, batchNormVariables, createBatchNorm } from '../../src/nn/norm.ts';
import { readSafetensors } from '../../src/io/safetensors-file.ts';
import { storedToTensor } from '../../src/io/weights.ts';

const F = readSafetensors('test/fixtures/unet/layers.safetensors').tensors;
const t = (k: string) => { const s = F.get(k); if (!s) throw new Error(k); return storedToTensor(s); };
const nhwc = (k: string) => tf.tidy(() => tf.transpose(t(k), [0, 2, 3, 1]) as tf.Tensor4D);
const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

const loaded = () => {
  const bn = createBatchNorm({ channels: 3 });
  bn.gamma.assign(t('bn.weight') as tf.Tensor1D);
  bn.beta.assign(t('bn.bias') as tf.Tensor1D);
  bn.runningMean.assign(t('bn.running_mean') as tf.Tensor1D);
  bn.runningVar.assign(t('bn.running_var') as tf.Tensor1D);
  return bn;
};

test('batchNorm x=[4,5,5,3] eval matches nn.BatchNorm2d.eval() and leaves the statistics alone', () => {
  const bn = loaded();
  const e = maxAbs(batchNorm(bn, nhwc('bn.x'), false), nhwc('bn.eval_out'));
  assert.ok(e < 1e-5, `eval error ${e}`);
  assert.ok(maxAbs(bn.runningMean, t('bn.running_mean')) === 0);
  assert.equal(bn.numBatchesTracked.dataSync()[0], 0);
});

test('batchNorm train mode matches nn.BatchNorm2d.train(): output and running stats (unbiased variance, momentum 0.1)', () => {
  const bn = loaded();
  const e = maxAbs(batchNorm(bn, nhwc('bn.x'), true), nhwc('bn.train_out'));
  assert.ok(e < 1e-5, `train error ${e}`);
  assert.ok(maxAbs(bn.runningMean, t('bn.after.running_mean')) < 1e-6);
  assert.ok(maxAbs(bn.runningVar, t('bn.after.running_var')) < 1e-5);
  assert.equal(bn.numBatchesTracked.dataSync()[0], 1);
  batchNorm(bn, nhwc('bn.x'), true, false);
  assert.equal(bn.numBatchesTracked.dataSync()[0], 1, 'updateStats=false leaves the statistics');
});

test('batchNorm: gradients reach γ and β only, statistics not trainable, DCGAN γ init, shape check', () => {
  const bn = createBatchNorm({ channels: 2, gammaStd: 0.02 }, new Rng(0));
  const g = bn.gamma.dataSync();
  assert.ok(Math.abs(g[0]! - 1) < 0.1 && g[0] !== 1);
  assert.deepEqual(batchNormVariables(bn).map((v) => v.trainable), [true, true, false, false, false]);
  const x = tf.randomNormal([2, 3, 3, 2], 0, 1, 'float32', 5) as tf.Tensor4D;
  const trainable = batchNormVariables(bn).filter((v) => v.trainable);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(batchNorm(bn, x, true), tf.range(0, 36).reshape([2, 3, 3, 2]))) as tf.Scalar, trainable);
  assert.deepEqual(Object.keys(grads).sort(), [bn.gamma.name, bn.beta.name].sort());
  // d/dβ of Σ y·w is Σ w per channel: channel 0 gets the even indices, channel 1 the odd ones.
  assert.deepEqual(Array.from(grads[bn.beta.name]!.dataSync()), [2 * (0 + 34) * 18 / 2 / 2, 2 * (1 + 35) * 18 / 2 / 2]);
  assert.throws(() => batchNorm(bn, tf.zeros([1, 2, 2, 3]) as tf.Tensor4D, false), ShapeError);
});
