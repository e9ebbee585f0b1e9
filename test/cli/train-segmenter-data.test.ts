import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { loadPairs } from '../../src/cli/commands/train-segmenter.ts';
import type { PositiveInt } from '../../src/core/codec.ts';
import { DataError } from '../../src/core/errors.ts';
import { Rng } from '../../src/core/rng.ts';
import { loadLabelledFolder, loadShapes } from '../../src/data/tensors.ts';
import { HORSE_FIXTURE, horseReference } from '../shared-data.ts';

test('train-segmenter loadPairs is the data layer\'s loaders: horse fixture folder [3,16,16,·] (masks {0,1}) and shapes pairs, bit for bit', async () => {
  await tf.setBackend('cpu');
  const before = tf.memory().numTensors;
  const p = await loadPairs({ kind: 'folder', images: join(HORSE_FIXTURE, 'images'), masks: join(HORSE_FIXTURE, 'masks') }, 16);
  const q = loadLabelledFolder({ images: join(HORSE_FIXTURE, 'images'), masks: join(HORSE_FIXTURE, 'masks') }, 16);
  assert.deepEqual(p.images.shape, [Object.keys(horseReference()).length, 16, 16, 3]);
  assert.deepEqual(p.masks.shape, [3, 16, 16, 1]);
  assert.deepEqual(p.images.dataSync(), q.images.dataSync());
  const m = p.masks.dataSync();
  assert.deepEqual(m, q.masks.dataSync());
  assert.ok(m.every((v) => v === 0 || v === 1) && m.some((v) => v === 1));
  const s = await loadPairs({ kind: 'shapes', count: 3 as PositiveInt, seed: 'x' }, 16), t = await loadShapes(new Rng('x'), 3, 16);
  assert.deepEqual(s.images.dataSync(), t.images.dataSync());
  assert.deepEqual(s.masks.dataSync(), t.masks.dataSync());
  tf.dispose([p.images, p.masks, q.images, q.masks, s.images, s.masks, t.images, t.masks]);
  assert.equal(tf.memory().numTensors, before);
});

test('train-segmenter loadPairs: an image without a mask is a DataError naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pairs-'));
  mkdirSync(join(dir, 'images')); mkdirSync(join(dir, 'masks'));
  for (const s of ['horse001', 'horse002']) copyFileSync(join(HORSE_FIXTURE, 'images', `${s}.jpg`), join(dir, 'images', `${s}.jpg`));
  copyFileSync(join(HORSE_FIXTURE, 'masks', 'horse001.png'), join(dir, 'masks', 'horse001.png'));
  await assert.rejects(loadPairs({ kind: 'folder', images: join(dir, 'images'), masks: join(dir, 'masks') }, 8), (e: unknown) => e instanceof DataError && /horse002\.jpg/.test(e.message));
  rmSync(dir, { recursive: true });
});
