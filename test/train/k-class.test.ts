import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { ShapeError } from '../../src/core/errors.ts';
import { softmaxCrossEntropy, softmaxDiceLoss } from '../../src/train/losses.ts';
import { createUNet } from '../../src/models/unet/index.ts';
import { trainSegmenter, melasKyriaziSegmenterDefaults, type SegmenterTrainConfig } from '../../src/train/segmenter.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);

test('softmaxCrossEntropy logits=[1,1,2,3] one-hot targets matches the hand value', () => {
  // Pixel 0: logits (0, 1, 2), target class 2; pixel 1: logits (3, 0, 0), target class 0.
  const l = tf.tensor4d([0, 1, 2, 3, 0, 0], [1, 1, 2, 3]), y = tf.tensor4d([0, 0, 1, 1, 0, 0], [1, 1, 2, 3]);
  const lse0 = Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2)), lse1 = Math.log(Math.exp(3) + 2);
  close(softmaxCrossEntropy(l, y).dataSync()[0] as number, ((lse0 - 2) + (lse1 - 3)) / 2);
  tf.dispose([l, y]);
});

test('softmaxDiceLoss logits=[1,1,2,2] matches the hand value (per image and class, ε = 1)', () => {
  const l = tf.tensor4d([0, 0, Math.log(3), 0], [1, 1, 2, 2]), y = tf.tensor4d([1, 0, 0, 1], [1, 1, 2, 2]);
  // softmax: pixel 0 (0.5, 0.5), pixel 1 (0.75, 0.25).
  const p = [[0.5, 0.75], [0.5, 0.25]], t = [[1, 0], [0, 1]];
  let sum = 0;
  for (let k = 0; k < 2; k++) {
    const inter = (p[k]?.[0] as number) * (t[k]?.[0] as number) + (p[k]?.[1] as number) * (t[k]?.[1] as number);
    const denom = (p[k]?.[0] as number) + (p[k]?.[1] as number) + (t[k]?.[0] as number) + (t[k]?.[1] as number);
    sum += 1 - (2 * inter + 1) / (denom + 1);
  }
  close(softmaxDiceLoss(l, y).dataSync()[0] as number, sum / 2);
  tf.dispose([l, y]);
});

test('UNet nClasses=3 x=[2,8,8,3]: sigmoid(logits) = 1 − softmax(classLogits)[…,0], the foreground union', () => {
  const unet = createUNet({ inChannels: 3, nClasses: 3, width: 4, depth: 1, bilinear: false }, new Rng(0));
  const x = tf.randomUniform([2, 8, 8, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
  const fg = tf.sigmoid(unet.logits(x, false)).dataSync();
  const p = tf.softmax(unet.classLogits(x, false), 3).dataSync();
  assert.equal(fg.length, 2 * 8 * 8);
  for (let i = 0; i < fg.length; i++) close(fg[i] as number, 1 - (p[3 * i] as number), 1e-5);
  tf.dispose(x);
  unet.dispose();
});

test('trainSegmenter on 3-class masks lowers the cross-entropy, leaves numTensors flat, and refuses a 1-output model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kclass-'));
  try {
    const n = 8, s = 8;
    // Class 1 left half, class 2 right half of a bright square; background elsewhere. Images show the classes as colours.
    const masks = tf.tidy(() => {
      const m = new Float32Array(n * s * s * 3);
      for (let i = 0; i < n; i++) for (let y = 0; y < s; y++) for (let x = 0; x < s; x++) {
        const inside = y >= 2 && y < 6 && x >= 2 && x < 6, k = !inside ? 0 : x < 4 ? 1 : 2;
        m[((i * s + y) * s + x) * 3 + k] = 1;
      }
      return tf.tensor4d(m, [n, s, s, 3]);
    });
    const images = tf.tidy(() => tf.sub(tf.mul(masks, 2), 1) as tf.Tensor4D);
    const pairs = (_step: number, b: number) => tf.tidy(() => ({ images: tf.slice(images, 0, b) as tf.Tensor4D, masks: tf.slice(masks, 0, b) as tf.Tensor4D }));
    const config: SegmenterTrainConfig = { ...melasKyriaziSegmenterDefaults, optimizer: { ...melasKyriaziSegmenterDefaults.optimizer, lr: 0.01 }, steps: 30, batchSize: 8, augment: [], validateEvery: 0, logEvery: 1, checkpointEvery: 1000 } as unknown as SegmenterTrainConfig;
    const unet = createUNet({ inChannels: 3, nClasses: 3, width: 4, depth: 1, bilinear: false }, new Rng(0));
    const losses: number[] = [];
    const before = tf.memory().numTensors;
    await trainSegmenter({ config, model: unet, pairs, out: join(dir, 'a'), onEvent: (e) => { if (e.type === 'step') losses.push(e.scalars['loss/segmenter'] as number); } });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    assert.ok((losses.at(-1) as number) < 0.6 * (losses[0] as number), `loss ${losses[0]} → ${losses.at(-1)}`);
    const binary = createUNet({ inChannels: 3, nClasses: 1, width: 4, depth: 1, bilinear: false }, new Rng(0));
    await assert.rejects(trainSegmenter({ config: { ...config, steps: 1 } as SegmenterTrainConfig, model: { variables: () => binary.variables(), dispose: () => binary.dispose(), logits: (x, t) => binary.logits(x, t) }, pairs, out: join(dir, 'b') }), ShapeError);
    await assert.rejects(trainSegmenter({ config: { ...config, steps: 1 } as SegmenterTrainConfig, model: binary, pairs, out: join(dir, 'c') }), ShapeError);
    tf.dispose([masks, images]);
    unet.dispose(); binary.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
