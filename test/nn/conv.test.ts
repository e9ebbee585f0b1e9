import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { ShapeError } from '../../src/core/errors.ts';
import { conv2d, conv2dTranspose, createConv2d, createConvTranspose2d, createLinear, linear, maxPool2d } from '../../src/nn/conv.ts';
import { readSafetensors } from '../../src/io/safetensors-file.ts';
import { hwioFromOihw, inOutFromOutIn, storedToTensor } from '../../src/io/weights.ts';

const F = readSafetensors('test/fixtures/unet/layers.safetensors').tensors;
const get = (k: string) => { const t = F.get(k); if (!t) throw new Error(k); return t; };
const nhwc = (k: string) => tf.tidy(() => tf.transpose(storedToTensor(get(k)), [0, 2, 3, 1]) as tf.Tensor4D);
const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
};

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

test('conv2d x=[2,8,8,3] → 5 channels matches F.conv2d for k3s2p1, k5s1p1, k3s1p1, k4s2p1, k1s1p0', () => {
  const x = nhwc('x8');
  for (const [name, stride, padding] of [['k3s2p1', 2, 1], ['k5s1p1', 1, 1], ['k3s1p1', 1, 1], ['k4s2p1', 2, 1], ['k1s1p0', 1, 0]] as const) {
    const p = createConv2d({ inChannels: 3, outChannels: 5, kernelSize: name === 'k1s1p0' ? 1 : Number(name[1]) }, new Rng(0));
    p.weight.assign(hwioFromOihw(get(`conv.${name}.weight`)) as tf.Tensor4D);
    p.bias!.assign(storedToTensor(get(`conv.${name}.bias`)) as tf.Tensor1D);
    const e = maxAbs(conv2d(p, x, { stride, padding }), nhwc(`conv.${name}.out`));
    assert.ok(e < 1e-4, `${name}: ${e}`);
  }
});

test('conv2dTranspose x=[2,4,3,6] → 4 channels matches F.conv_transpose2d for k4s2p1, k2s2p0, k3s2p0, k4s1p0', () => {
  const x = nhwc('x4');
  for (const [name, k, stride, padding] of [['k4s2p1', 4, 2, 1], ['k2s2p0', 2, 2, 0], ['k3s2p0', 3, 2, 0], ['k4s1p0', 4, 1, 0]] as const) {
    const p = createConvTranspose2d({ inChannels: 6, outChannels: 4, kernelSize: k }, new Rng(0));
    p.weight.assign(hwioFromOihw(get(`convT.${name}.weight`)) as tf.Tensor4D);
    p.bias!.assign(storedToTensor(get(`convT.${name}.bias`)) as tf.Tensor1D);
    const e = maxAbs(conv2dTranspose(p, x, { stride, padding }), nhwc(`convT.${name}.out`));
    assert.ok(e < 1e-4, `${name}: ${e}`);
  }
  const p = createConvTranspose2d({ inChannels: 6, outChannels: 4, kernelSize: 3 }, new Rng(0));
  assert.throws(() => conv2dTranspose(p, x, { stride: 2, padding: 1 }), ShapeError);
});

test('linear [3,7] → [3,5] matches F.linear; PyTorch-default init is bounded by 1/√fanIn', () => {
  const p = createLinear({ inFeatures: 7, outFeatures: 5 }, new Rng(0));
  const bound = Math.max(...Array.from(p.weight.dataSync(), Math.abs));
  assert.ok(bound <= 1 / Math.sqrt(7) && bound > 0.2);
  p.weight.assign(inOutFromOutIn(get('linear.weight')) as tf.Tensor2D);
  p.bias!.assign(storedToTensor(get('linear.bias')) as tf.Tensor1D);
  assert.ok(maxAbs(linear(p, storedToTensor(get('linear.x')) as tf.Tensor2D), storedToTensor(get('linear.out'))) < 1e-5);
  assert.throws(() => linear(p, tf.zeros([3, 6]) as tf.Tensor2D), ShapeError);
});

test('maxPool2d [1,3,5,1] floors odd sides, hand values', () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [1, 3, 5, 1]);
  const y = maxPool2d(x, 2);
  assert.deepEqual(y.shape, [1, 1, 2, 1]);
  assert.deepEqual(Array.from(y.dataSync()), [7, 9]);
  assert.throws(() => maxPool2d(tf.zeros([1, 1, 4, 1]) as tf.Tensor4D), ShapeError);
});

test('conv2d with explicit padding has gradients (wasm, x=[1,8,8,3] k5 p1) and no leaks', () => {
  const p = createConv2d({ inChannels: 3, outChannels: 2, kernelSize: 5, bias: false }, new Rng(1));
  assert.equal(p.bias, undefined);
  const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const { value, grads } = tf.variableGrads(() => tf.sum(conv2d(p, x, { padding: 1 })) as tf.Scalar, [p.weight]);
  assert.deepEqual(grads[p.weight.name]!.shape, [5, 5, 3, 2]);
  tf.dispose([value, ...Object.values(grads)]);
  assert.equal(tf.memory().numTensors, before);
});
