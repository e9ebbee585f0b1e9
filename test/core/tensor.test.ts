import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { readTidy } from '../../src/core/tensor.ts';

before(async () => { await initBackend({ backend: 'native', ignoreEnv: true }); });

test('readTidy: the values of the returned tensor as a fresh copy; every tensor disposed; later ops cannot overwrite it', () => {
  const x = tf.tensor1d([1, -2, 3]);
  const before = tf.memory().numTensors;
  const v = readTidy(() => tf.mul(tf.add(x, 1), 2));
  assert.deepEqual([...v], [4, -2, 8]);
  assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
  // The array pool recycles a disposed tensor's storage for the next output of the same length.
  const y = tf.fill([3], 7);
  assert.deepEqual([...v], [4, -2, 8]);
  tf.dispose([x, y]);
});

