import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { DataError } from '../../src/core/errors.ts';
import { batches, epochBatches, epochBatchesOf, epochBatchIndices, epochPermutation, type Batch } from '../../src/data/batches.ts';
import { shapesDataset } from '../../src/data/shapes.ts';
import type { ImageDataset } from '../../src/data/folder.ts';

const collect = async (ds: ImageDataset, seed: string, prefetch: number, extra: Partial<Parameters<typeof batches>[1]> = {}): Promise<Array<{ ids: readonly string[]; img: Float32Array; mask: Float32Array; epoch: number; skipped: number }>> => {
  const out = [];
  for await (const b of batches(ds, { batchSize: 4, size: 16, rng: new Rng(seed), epochs: 2, prefetch, augment: { flip: 0.5, colorJitter: 0.3, cropScale: [0.5, 1] }, ...extra }) as AsyncGenerator<Batch>) {
    assert.deepEqual(b.images.shape, [b.ids.length, 16, 16, 3]);
    out.push({ ids: b.ids, img: b.images.dataSync() as Float32Array, mask: b.masks!.dataSync() as Float32Array, epoch: b.epoch, skipped: b.skipped });
    tf.dispose([b.images, b.masks!]);
  }
  return out;
};

test('batches: same seed => same batches for any prefetch; each epoch visits every sample once; no tensor leak', async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
  const ds = shapesDataset(new Rng('b'), 10, { size: 24 });
  const before = tf.memory().numTensors;
  const a = await collect(ds, 's', 0), b = await collect(ds, 's', 3), c = await collect(ds, 't', 2);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(a.length, 4); // 10 samples, batch 4, dropLast: 2 per epoch
  assert.deepEqual(a.map((x) => x.ids), b.map((x) => x.ids));
  a.forEach((x, i) => { assert.deepEqual(x.img, b[i]!.img); assert.deepEqual(x.mask, b[i]!.mask); });
  assert.notDeepEqual(a.map((x) => x.ids), c.map((x) => x.ids));
  assert.notDeepEqual(a[0]!.ids, a[2]!.ids); // reshuffled per epoch
  for (const x of a) assert.ok(x.mask.every((v) => v === 0 || v === 1) && x.img.every((v) => v >= -1 && v <= 1));
  const full = await collect(ds, 's', 1, { dropLast: false, epochs: 1 });
  assert.deepEqual(full.flatMap((x) => x.ids).sort(), Array.from({ length: 10 }, (_, i) => String(i).padStart(6, '0')));
});

test('batches onError=skip tops batches up and reports skipped files; stop rethrows', async () => {
  const base = shapesDataset(new Rng('b'), 9, { size: 8 });
  const flaky: ImageDataset = { name: 'flaky', length: 9, get: async (i) => { if (i === 3) throw new DataError('flaky', 'broken file', 'f3.png'); return base.get(i); } };
  const skipped: string[] = [];
  const got = await collect(flaky, 'x', 2, { epochs: 1, dropLast: false, onError: 'skip', onSkip: (e) => skipped.push(e.file ?? '') });
  assert.deepEqual(skipped, ['f3.png']);
  assert.deepEqual(got.map((g) => g.ids.length), [4, 4]);
  assert.equal(got.at(-1)!.skipped, 1);
  await assert.rejects(collect(flaky, 'x', 2, { epochs: 1 }), /broken file/);
});

// ---------------------------------------------------------------------------
// The step-indexed batcher (moved here from train/gan.ts; numbers pinned before the move)
// ---------------------------------------------------------------------------

test('epochBatchIndices n=7 batch=3 seed=golden steps 0–3 and n=5 batch=12 seed=7 step 2: the numbers of the pre-move implementation', () => {
  assert.deepEqual([0, 1, 2, 3].map((s) => epochBatchIndices(7, 3, 'golden', s)), [[2, 3, 1], [4, 0, 5], [6, 5, 1], [6, 4, 3]]);
  assert.deepEqual(epochBatchIndices(5, 12, 7, 2), [0, 4, 3, 1, 0, 2, 0, 4, 1, 3, 2, 0]); // a batch spanning three epochs
  assert.deepEqual(epochBatchIndices(7, 7, 'golden', 1), epochPermutation(7, 'golden', 1));
  assert.throws(() => epochBatchIndices(0, 2, 's', 0), RangeError);
});

test('batches visits epoch e in the order epochPermutation(n, rng.seed, e), the order of the step-indexed batcher', async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
  const ds = shapesDataset(new Rng('b'), 8, { size: 8 });
  const got: string[] = [];
  for await (const b of batches(ds, { batchSize: 4, size: 8, rng: new Rng('order'), epochs: 2, prefetch: 0 })) { got.push(...b.ids); tf.dispose([b.images, b.masks!]); }
  const id = (i: number): string => String(i).padStart(6, '0');
  assert.deepEqual(got, [...epochPermutation(8, 'order', 0), ...epochPermutation(8, 'order', 1)].map(id));
  assert.deepEqual(got.slice(0, 12), [0, 1, 2].flatMap((s) => epochBatchIndices(8, 4, 'order', s)).map(id)); // n % batch = 0: same batches
});

test('epochBatchesOf images [5,2,2,1] + masks [5,2,2,1]: gathers the same epochBatchIndices rows from both; epochBatches likewise; no leaks', async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
  const images = tf.tensor4d(Array.from({ length: 20 }, (_, i) => i), [5, 2, 2, 1]);
  const masks = tf.tensor4d(Array.from({ length: 20 }, (_, i) => -i), [5, 2, 2, 1]);
  const before = tf.memory().numTensors;
  const pairs = epochBatchesOf({ images, masks }, 'p');
  const reals = epochBatches(images, 'p');
  for (const step of [0, 1, 4]) {
    const idx = epochBatchIndices(5, 3, 'p', step);
    const b = pairs(step, 3), x = reals(step, 3);
    assert.deepEqual(b.images.shape, [3, 2, 2, 1]);
    assert.deepEqual([...b.images.dataSync()], idx.flatMap((i) => [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3]));
    assert.deepEqual([...b.masks.dataSync()], [...b.images.dataSync()].map((v) => -v));
    assert.deepEqual([...x.dataSync()], [...b.images.dataSync()]);
    tf.dispose([b.images, b.masks, x]);
  }
  assert.equal(tf.memory().numTensors, before);
  const short = tf.zeros([4, 2, 2, 1]);
  assert.throws(() => epochBatchesOf({ images, masks: short }, 'p'), /same first dimension.*masks has 4/);
  tf.dispose([images, masks, short]);
});
