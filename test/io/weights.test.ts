import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { WeightsError } from '../../src/core/errors.ts';
import type { StateDict } from '../../src/io/state-dict.ts';
import { applyStateDict, hwioFromOihw, ohwiFromOihw, oihwFromHwio, inOutFromOutIn, reshapedTo, sameLayout, toStateDict, type WeightTargets } from '../../src/io/weights.ts';

const f32 = (n: number, start = 0): Float32Array => Float32Array.from({ length: n }, (_, i) => start + i);

test('hwioFromOihw [2,3,1,2] moves element (o,i,h,w) to (h,w,i,o); oihwFromHwio inverts it', () => {
  tf.tidy(() => {
    const t = { dtype: 'float32' as const, shape: [2, 3, 1, 2], data: f32(12) };
    const h = hwioFromOihw(t);
    assert.deepEqual(h.shape, [1, 2, 3, 2]);
    // oihw index of (o=1,i=2,h=0,w=1) = 1*6 + 2*2 + 0 + 1 = 11
    assert.equal((h.arraySync() as number[][][][])[0]?.[1]?.[2]?.[1], 11);
    assert.deepEqual(Array.from(oihwFromHwio(h).dataSync()), Array.from(f32(12)));
    assert.deepEqual(ohwiFromOihw(t).shape, [2, 1, 2, 3]);
  });
});

const makeTargets = (): { targets: WeightTargets; a: tf.Variable; b: tf.Variable } => {
  const a = tf.variable(tf.zeros([3, 2]));
  const b = tf.variable(tf.zeros([3]));
  const targets: WeightTargets = new Map([
    ['fc.weight', { variable: a, fromStored: inOutFromOutIn, toStored: (x: tf.Tensor) => tf.transpose(x) }],
    ['rgb.bias', { variable: b, fromStored: reshapedTo([3]), storedShape: [1, 3, 1, 1] }],
  ]);
  return { targets, a, b };
};

test('applyStateDict assigns with layout conversion; toStateDict gives the stored layout back', () => {
  const { targets, a, b } = makeTargets();
  const sd: StateDict = new Map([
    ['fc.weight', { dtype: 'float32', shape: [2, 3], data: f32(6) }],
    ['rgb.bias', { dtype: 'float32', shape: [1, 3, 1, 1], data: f32(3, 10) }],
  ]);
  const before = tf.memory().numTensors;
  applyStateDict('t', sd, targets);
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(a.arraySync(), [[0, 3], [1, 4], [2, 5]]);
  assert.deepEqual(Array.from(b.dataSync()), [10, 11, 12]);
  const back = toStateDict(targets);
  assert.deepEqual(back.get('fc.weight')?.shape, [2, 3]);
  assert.deepEqual(Array.from(back.get('fc.weight')?.data ?? []), Array.from(f32(6)));
  assert.deepEqual(back.get('rgb.bias')?.shape, [1, 3, 1, 1]);
  a.dispose(); b.dispose();
});

test('applyStateDict lists every missing, unexpected and wrongly-shaped key in one WeightsError, touching nothing', () => {
  const { targets, a, b } = makeTargets();
  targets.set('extra.weight', { variable: tf.variable(tf.zeros([2])), fromStored: sameLayout });
  const sd: StateDict = new Map([
    ['fc.weight', { dtype: 'float32', shape: [3, 2], data: f32(6) }], // wrong: converts to [2,3]
    ['rgb.bias', { dtype: 'float32', shape: [3], data: f32(3) }], // wrong stored shape
    ['junk', { dtype: 'float32', shape: [1], data: f32(1) }],
    ['skipme', { dtype: 'float32', shape: [1], data: f32(1) }],
  ]);
  const before = tf.memory().numTensors;
  assert.throws(() => applyStateDict('ckpt.pt', sd, targets, { ignore: (k) => k === 'skipme' }), (e: unknown) => {
    assert.ok(e instanceof WeightsError);
    assert.match(e.message, /^ckpt\.pt: /);
    assert.match(e.message, /1 missing: extra\.weight/);
    assert.match(e.message, /1 unexpected: junk;/);
    assert.match(e.message, /2 wrongly shaped/);
    assert.match(e.message, /fc\.weight: stored \[3,2\] converts to \[2,3\], but the variable needs \[3,2\]/);
    assert.match(e.message, /rgb\.bias: expected \[1,3,1,1\], got \[3\]/);
    return true;
  });
  assert.equal(tf.memory().numTensors, before);
  assert.deepEqual(Array.from(a.dataSync()), new Array(6).fill(0));
  assert.deepEqual(Array.from(b.dataSync()), [0, 0, 0]);
  for (const t of targets.values()) t.variable.dispose();
});
