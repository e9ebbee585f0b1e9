import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { conditionalBatchNorm, truncatedStatistics } from '../../src/nn/conditional-batch-norm.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('conditionalBatchNorm x=[1,1,1,2] hand-computed', () => {
  // (x − mean)/√(var + eps): (1 − 0.5)/2 = 0.25, (3 − 1)/4 = 0.5; ·gain + bias: 0.25·2 + 1 = 1.5, 0.5·4 − 1 = 1.
  const y = conditionalBatchNorm(tf.tensor4d([1, 3], [1, 1, 1, 2]), tf.tensor1d([0.5, 1]), tf.tensor1d([3, 15]), tf.tensor2d([[2, 4]]), tf.tensor2d([[1, -1]]), 1);
  assert.deepEqual([...y.dataSync()], [1.5, 1]);
  const shared = conditionalBatchNorm(tf.tensor4d([1, 3, 1, 3], [2, 1, 1, 2]), tf.tensor1d([0.5, 1]), tf.tensor1d([3, 15]), tf.tensor1d([2, 4]), tf.tensor1d([1, -1]), 1);
  assert.deepEqual([...shared.dataSync()], [1.5, 1, 1.5, 1]);
  assert.throws(() => conditionalBatchNorm(tf.zeros([1, 1, 1, 2]) as tf.Tensor4D, tf.zeros([3]) as tf.Tensor1D, tf.ones([2]) as tf.Tensor1D, tf.ones([2]) as tf.Tensor1D, tf.ones([2]) as tf.Tensor1D, 1), /mean/);
});

test('truncatedStatistics follows the reference index math (stats row i = i)', () => {
  const stats = tf.tensor2d(Array.from({ length: 51 }, (_, i) => i), [51, 1]);
  const at = (t: number): number => truncatedStatistics(stats, t).dataSync()[0]!;
  assert.equal(at(1), 50);                       // 1/0.02 = 50 exactly
  assert.equal(at(0.4), 20);                     // 0.4/0.02 = 20 exactly: no interpolation
  assert.ok(Math.abs(at(0.37) - 18.5) < 1e-5);   // 18.5: 0.5·18 + 0.5·19
  assert.ok(Math.abs(at(0.305) - 15.75) < 1e-5); // 15.25: coef 0.25 weights the LOWER row (sic): 0.25·15 + 0.75·16
  assert.throws(() => at(0), /truncation/);
  assert.throws(() => at(1.5), /truncation/);
});
