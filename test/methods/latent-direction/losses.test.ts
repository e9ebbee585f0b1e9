import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { rgbToGrey, sobelMagnitude, radialPriorMap, radialPriorLoss, sobelShiftLoss, directionLoss } from '../../../src/methods/latent-direction/losses.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};
/** A [1,3,3,3] image whose three channels all equal `grey` (so rgbToGrey = 0.9999 × grey). */
const greyImage = (grey: number[]): tf.Tensor4D => tf.tensor4d(grey.flatMap((v) => [v, v, v]), [1, 3, 3, 3]);

test('rgbToGrey [1,1,1,3] pixel (1, 0.5, -1) = 0.2989 + 0.2935 − 0.114', () => {
  close(rgbToGrey(tf.tensor4d([1, 0.5, -1], [1, 1, 1, 3])).dataSync(), [0.4784]);
});

test('sobelMagnitude [1,3,3] vertical step: kornia-normalised kernel, replicate padding, eps 1e-6', () => {
  const e = sobelMagnitude(tf.tensor3d([0, 0, 1, 0, 0, 1, 0, 0, 1], [1, 3, 3]));
  const flat = Math.sqrt(1e-6), edge = Math.sqrt(0.25 + 1e-6);
  close(e.dataSync(), [flat, edge, edge, flat, edge, edge, flat, edge, edge]);
  // A horizontal ramp 0,1,2 in rows: gy = (1+2+1)/8·1 at the middle row, half that at the borders.
  const r = sobelMagnitude(tf.tensor3d([0, 0, 0, 1, 1, 1, 2, 2, 2], [1, 3, 3])).dataSync();
  close(r, [0.5, 0.5, 0.5, 1, 1, 1, 0.5, 0.5, 0.5].map((v) => Math.sqrt(v * v + 1e-6)));
});

test('radialPriorMap size 3: (‖p‖ − mean) × 4 on the [-1,1] grid', () => {
  const mean = (4 * Math.SQRT2 + 4) / 9;
  const c = 4 * (Math.SQRT2 - mean), e = 4 * (1 - mean), m = -4 * mean;
  close(radialPriorMap(3).dataSync(), [c, e, c, e, m, e, c, e, c]);
  close(radialPriorMap(2).dataSync(), [0, 0, 0, 0]);
});

test('radialPriorLoss bright centre = 0.9999 × (−4·mean)/9; constant image = 0', () => {
  const mean = (4 * Math.SQRT2 + 4) / 9;
  close([radialPriorLoss(greyImage([0, 0, 0, 0, 1, 0, 0, 0, 0])).dataSync()[0] as number], [(0.9999 * -4 * mean) / 9]);
  close([radialPriorLoss(greyImage([0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3])).dataSync()[0] as number], [0], 1e-6);
});

test('sobelShiftLoss step vs flat = 6/9 × (√(0.25·0.9999² + 1e-6) − 1e-3)²; directionLoss weights 2 and 10', () => {
  const shifted = greyImage([0, 0, 1, 0, 0, 1, 0, 0, 1]);
  const original = greyImage([0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const edge = Math.sqrt(0.25 * 0.9999 ** 2 + 1e-6) - 1e-3;
  const want = (6 / 9) * edge * edge;
  close([sobelShiftLoss(shifted, original).dataSync()[0] as number], [want]);
  const radial = radialPriorLoss(shifted).dataSync()[0] as number;
  const l = directionLoss(shifted, original, { radialPrior: 2, sobelShift: 10 });
  close([l.radialPrior.dataSync()[0] as number, l.sobelShift.dataSync()[0] as number, l.total.dataSync()[0] as number], [2 * radial, 10 * want, 2 * radial + 10 * want]);
});

test('losses are differentiable and leave no tensors behind', () => {
  const x = tf.variable(tf.randomNormal([2, 8, 8, 3], 0, 0.5, 'float32', 3) as tf.Tensor4D);
  const o = tf.randomNormal([2, 8, 8, 3], 0, 0.5, 'float32', 4) as tf.Tensor4D;
  const before = tf.memory().numTensors;
  const g = tf.grad((v: tf.Tensor) => directionLoss(v as tf.Tensor4D, o, { radialPrior: 2, sobelShift: 10 }).total)(x);
  const [sum, abs] = tf.tidy(() => [g.sum().dataSync()[0] as number, g.abs().sum().dataSync()[0] as number]);
  assert.ok(Number.isFinite(sum as number) && (abs as number) > 0);
  g.dispose();
  // Finite differences on one pixel.
  const f = (v: tf.Tensor4D): number => tf.tidy(() => directionLoss(v, o, { radialPrior: 2, sobelShift: 10 }).total.dataSync()[0] as number);
  const gradAt = tf.tidy(() => tf.grad((v: tf.Tensor) => directionLoss(v as tf.Tensor4D, o, { radialPrior: 2, sobelShift: 10 }).total)(x).dataSync()[3 * (8 * 3 + 4) + 1] as number);
  const h = 1e-2;
  const plus = tf.tidy(() => f(tf.add(x, tf.oneHot(tf.tensor1d([3 * (8 * 3 + 4) + 1], 'int32'), 2 * 8 * 8 * 3).reshape([2, 8, 8, 3]).mul(h)) as tf.Tensor4D));
  const minus = tf.tidy(() => f(tf.sub(x, tf.oneHot(tf.tensor1d([3 * (8 * 3 + 4) + 1], 'int32'), 2 * 8 * 8 * 3).reshape([2, 8, 8, 3]).mul(h)) as tf.Tensor4D));
  assert.ok(Math.abs((plus - minus) / (2 * h) - gradAt) < 2e-3, `fd ${(plus - minus) / (2 * h)} vs grad ${gradAt}`);
  assert.equal(tf.memory().numTensors, before);
  x.dispose(); o.dispose();
});
