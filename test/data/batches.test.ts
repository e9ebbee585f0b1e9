import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { DataError } from '../../src/core/errors.ts';
import { batches, type Batch } from '../../src/data/batches.ts';
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
