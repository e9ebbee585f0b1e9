import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { melasKyriaziSegmenterDefaults, trainSegmenter, randomFlip, type SegmenterTrainConfig, type TrainableSegmenter } from '../../src/train/segmenter.ts';
import { listCheckpoints } from '../../src/train/checkpoint.ts';
import type { TrainEvent } from '../../src/train/events.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

// Per-pixel logistic model: logit = images·w + b (1×1 "conv" as a matMul), learnable in a few steps.
const pixelModel = (): TrainableSegmenter => {
  const w = tf.variable(tf.zeros([3, 1])), b = tf.variable(tf.zeros([1]));
  return {
    logits: (x) => tf.tidy(() => tf.reshape(tf.add(tf.matMul(tf.reshape(x, [-1, 3]), w), b), [x.shape[0], x.shape[1], x.shape[2], 1]) as tf.Tensor4D),
    variables: () => [w, b],
    dispose: () => tf.dispose([w, b]),
  };
};
// Foreground pixels are bright (red channel > 0), background dark.
const pairs = (step: number, n: number) => tf.tidy(() => {
  const m = tf.tensor4d(new Rng(`m/${step}`).uniformArray(n * 16).map((v) => (v > 0.5 ? 1 : 0)), [n, 4, 4, 1]);
  const images = tf.concat([tf.sub(tf.mul(m, 1.6), 0.8), tf.zeros([n, 4, 4, 2])], 3) as tf.Tensor4D;
  return { images, masks: m };
});
const iou = (model: TrainableSegmenter) => tf.tidy(() => {
  const { images, masks } = pairs(999, 8);
  const p = tf.cast(tf.greater(model.logits(images, false), 0), 'float32');
  const inter = tf.sum(tf.mul(p, masks)).dataSync()[0]!, union = tf.sum(tf.maximum(p, masks)).dataSync()[0]!;
  return { iou: inter / union };
});

test('trainSegmenter pixel model 4×4: learns (IoU 1 on held-out pairs), lr schedule, best+last checkpoints, resume', async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'seg-'));
  const config: SegmenterTrainConfig = { ...melasKyriaziSegmenterDefaults, steps: 30 as never, batchSize: 4 as never, optimizer: { ...melasKyriaziSegmenterDefaults.optimizer, lr: 0.1 as never },
    schedule: { kind: 'step', every: 20, factor: 0.2 } as never, diceWeight: 1, validateEvery: 10 as never, checkpointEvery: 10 as never, logEvery: 5 as never };
  const model = pixelModel();
  const events: TrainEvent[] = [];
  const before = tf.memory().numTensors;
  const r = await trainSegmenter({ config, model, pairs, validate: iou, out, onEvent: (e) => events.push(e) });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(r.bestMetric, 1);
  assert.ok(r.bestCheckpoint!.includes('best-'));
  const lrs = events.flatMap((e) => (e.type === 'step' ? [e.scalars['lr']!] : []));
  assert.ok(Math.abs(lrs[19]! - 0.1) < 1e-12 && Math.abs(lrs[20]! - 0.02) < 1e-12);
  assert.equal(events.filter((e) => e.type === 'validation').length, 3);
  assert.deepEqual(listCheckpoints(path.join(out, 'checkpoints')).map((c) => c.step), [30, 20]);
  // resume to 40 steps continues from step 30
  const m2 = pixelModel();
  const ev2: TrainEvent[] = [];
  const r2 = await trainSegmenter({ config: { ...config, steps: 40 as never }, model: m2, pairs, validate: iou, out, resume: true, onEvent: (e) => ev2.push(e) });
  assert.equal(ev2[0]!.type === 'start' && ev2[0]!.step, 30);
  assert.equal(r2.step, 40);
  model.dispose(); m2.dispose();
  fs.rmSync(out, { recursive: true });
});

test('randomFlip flips images and masks of the same samples', () => {
  const x = tf.tensor4d([1, 2, 3, 4, 5, 6], [2, 1, 3, 1]);
  const imgs = tf.concat([x, x, x], 3) as tf.Tensor4D;
  const r = randomFlip({ images: imgs, masks: x }, 0.5, { bernoulli: (() => { let k = 0; return () => k++ === 1; })() });
  assert.deepEqual([...r.masks.dataSync()], [1, 2, 3, 6, 5, 4]);
  assert.deepEqual([...r.images.dataSync()].filter((_, i) => i % 3 === 0), [1, 2, 3, 6, 5, 4]);
  tf.dispose([x, imgs, r.images, r.masks]);
});

test('trainSegmenter resumed at step 6 of 12 ends bit-identical to an uninterrupted run (weights, Adam moments, best metric)', async () => {
  const config: SegmenterTrainConfig = { ...melasKyriaziSegmenterDefaults, seed: 'resume', steps: 12 as never, batchSize: 4 as never, optimizer: { ...melasKyriaziSegmenterDefaults.optimizer, lr: 0.05 as never },
    schedule: { kind: 'step', every: 5, factor: 0.5 } as never, diceWeight: 0.5, validateEvery: 4 as never, checkpointEvery: 3 as never, logEvery: 1 as never };
  const ref = fs.mkdtempSync(path.join(os.tmpdir(), 'seg-ref-')), out = fs.mkdtempSync(path.join(os.tmpdir(), 'seg-res-'));
  const a = pixelModel();
  const ra = await trainSegmenter({ config, model: a, pairs, validate: iou, out: ref });
  const b1 = pixelModel();
  await trainSegmenter({ config: { ...config, steps: 6 as never }, model: b1, pairs, validate: iou, out });
  b1.dispose();
  const b = pixelModel();
  const rb = await trainSegmenter({ config, model: b, pairs, validate: iou, out, resume: true });
  assert.equal(rb.step, 12);
  a.variables().forEach((v, i) => assert.deepEqual([...b.variables()[i]!.dataSync()], [...v.dataSync()], `variable ${i}`));
  const { loadCheckpoint } = await import('../../src/train/checkpoint.ts');
  const ca = loadCheckpoint(path.join(ref, 'checkpoints', 'step-00000012')), cb = loadCheckpoint(path.join(out, 'checkpoints', 'step-00000012'));
  for (const [k, v] of ca.tensors) assert.deepEqual([...cb.tensors.get(k)!.data], [...v.data], k); // includes opt/* moments
  assert.equal(rb.bestMetric, ra.bestMetric);
  a.dispose(); b.dispose();
  fs.rmSync(ref, { recursive: true }); fs.rmSync(out, { recursive: true });
});
