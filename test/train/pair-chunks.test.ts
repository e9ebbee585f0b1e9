import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../src/core/rng.ts';
import type { ImageBatch, MaskBatch } from '../../src/core/tensor.ts';
import { sampleInChunks } from '../../src/train/pair-chunks.ts';
import type { PairBatch } from '../../src/train/segmenter.ts';

/** k pairs whose pixels are the first draws of `rng` (image) and the chunk size (mask). */
const draw = (k: number, rng: Rng): PairBatch => ({
  images: tf.tensor4d(Array.from({ length: k }, () => rng.uniform()), [k, 1, 1, 1]) as unknown as ImageBatch,
  masks: tf.fill([k, 1, 1, 1], k) as MaskBatch,
});

test('sampleInChunks n=40 chunk=16: chunks 16, 16, 8 drawn from rng.fork(chunk-i), concatenated, chunks freed', () => {
  const before = tf.memory().numTensors;
  const out = sampleInChunks(40, new Rng(5), draw);
  assert.deepEqual(out.images.shape, [40, 1, 1, 1]);
  assert.deepEqual(Array.from(out.masks.dataSync()), [...Array(32).fill(16), ...Array(8).fill(8)]);
  const r = new Rng(5);
  const want = [0, 1, 2].flatMap((i) => { const f = r.fork(`chunk-${i}`); return Array.from({ length: i < 2 ? 16 : 8 }, () => f.uniform()); });
  assert.deepEqual(Array.from(out.images.dataSync()), Array.from(Float32Array.from(want)));
  tf.dispose([out.images, out.masks]);
  assert.equal(tf.memory().numTensors, before);
});

test('sampleInChunks n=3 chunk=4: the one chunk is returned as drawn (same tensors)', () => {
  let drawn: PairBatch | undefined;
  const out = sampleInChunks(3, new Rng(1), (k, r) => (drawn = draw(k, r)), 4);
  assert.equal(out, drawn);
  assert.deepEqual(out.images.shape, [3, 1, 1, 1]);
  tf.dispose([out.images, out.masks]);
});
