import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { keypointsToPixels, partCentroids } from '../../../src/methods/ganseg/index.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

// 3×5 image, K = 2: part 1 on pixels (0,0) and (2,4) with probability 1 and 0.5, part 2 nowhere in argmax.
const scores = (): tf.Tensor4D => {
  const v = new Float32Array(3 * 5 * 3);
  for (let p = 0; p < 15; p++) { v[p * 3] = 0.7; v[p * 3 + 1] = 0; v[p * 3 + 2] = 0.3; }
  v[0] = 0; v[1] = 1; v[2] = 0; // (0,0): part 1
  const q = (2 * 5 + 4) * 3; v[q] = 0.2; v[q + 1] = 0.5; v[q + 2] = 0.3; // (2,4): part 1 at 0.5
  return tf.tensor4d(v, [1, 3, 5, 3]);
};

test('partCentroids (probability): part 1 at (−1,−1)·1 + (1,1)·0.5 over 1.5 → (−1/3, −1/3); part 2 uniform 0.3 → centre (0, 0) minus its holes', () => {
  const s = scores();
  const { points, mass } = partCentroids(s);
  const p = points.arraySync()[0]!, m = mass.arraySync()[0]!;
  assert.ok(Math.abs(p[0]![0]! + 1 / 3) < 1e-6 && Math.abs(p[0]![1]! + 1 / 3) < 1e-6, JSON.stringify(p[0]));
  // part 2 has 0.3 everywhere except (0,0) (0): centroid = −(coords of (0,0))·0.3 / (14·0.3) = (1/14, 1/14)
  assert.ok(Math.abs(p[1]![0]! - 1 / 14) < 1e-6 && Math.abs(p[1]![1]! - 1 / 14) < 1e-6, JSON.stringify(p[1]));
  assert.ok(Math.abs(m[0]! - 1.5 / 15) < 1e-6 && Math.abs(m[1]! - 14 * 0.3 / 15) < 1e-6);
  tf.dispose([s, points, mass]);
});

test('partCentroids (argmax): only the winning pixels count; a part that wins nowhere is NaN with mass 0', () => {
  const s = scores();
  const n0 = tf.memory().numTensors;
  const { points, mass } = partCentroids(s, 'argmax');
  const p = points.arraySync()[0]!, m = mass.arraySync()[0]!;
  assert.ok(Math.abs(p[0]![0]! - 0) < 1e-6 && Math.abs(p[0]![1]! - 0) < 1e-6, JSON.stringify(p[0])); // (−1,−1) and (1,1) equally
  assert.ok(Number.isNaN(p[1]![0]!) && Number.isNaN(p[1]![1]!));
  assert.deepEqual(m.map((x) => Number(x.toFixed(6))), [Number((2 / 15).toFixed(6)), 0]);
  // in pixels: the generator's keypoint convention maps (0, 0) to the image centre
  const pxT = keypointsToPixels(points, 3);
  assert.deepEqual(pxT.arraySync()[0]![0], [1, 1]);
  tf.dispose([points, mass, pxT]);
  assert.equal(tf.memory().numTensors, n0);
  s.dispose();
});

test('partCentroids rejects scores without parts', () => {
  const s = tf.zeros([1, 4, 4, 1]) as tf.Tensor4D;
  assert.throws(() => partCentroids(s), /K\+1/);
  s.dispose();
});
