import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../src/core/rng.ts';
import type { Raster } from '../src/core/raster.ts';
import { flipHorizontal } from '../src/io/image.ts';
import { createUNet } from '../src/models/unet/index.ts';
import { imageIou, inputSize, predictPhoto } from '../src/pipeline/benchmark-eval.ts';
import type { TrainableSegmenter } from '../src/train/segmenter.ts';

/** A fake segmenter whose probability is column / (w − 1) whatever the image. */
const rampModel: TrainableSegmenter = {
  logits: (x) => tf.tidy(() => {
    const [n, h, w] = x.shape;
    const p = Float32Array.from({ length: n * h * w }, (_, i) => (i % w) / (w - 1));
    const t = tf.tensor4d(p, [n, h, w, 1]);
    return tf.log(tf.div(t, tf.sub(1, t))) as tf.Tensor4D;
  }),
  variables: () => [],
  dispose: () => {},
};

test('inputSize 315×232 at 32, multiple 8 → 40×32 (short side 32, long side in proportion)', () => {
  assert.deepEqual(inputSize(315, 232, 32, 8), { width: 40, height: 32 });
  assert.deepEqual(inputSize(8, 4, 2, 1), { width: 4, height: 2 });
});

test('predictPhoto 8×4 photo, side 2: a 4×2 ramp [0, 1/3, 2/3, 1] upsampled bilinearly (half-pixel) to 8 columns; IoU vs hand-made truth = 4/5', () => {
  const photo: Raster = { width: 8, height: 4, channels: 3, data: new Float32Array(8 * 4 * 3).fill(0.5) };
  const p = predictPhoto(rampModel, 2, photo, { multiple: 1 });
  assert.equal(p.width, 8);
  assert.equal(p.height, 4);
  // source x = (o + 0.5)·(4/8) − 0.5, clamped: 0, 1/12, 3/12, 5/12, 7/12, 9/12, 11/12, 1
  const row = [0, 1 / 12, 3 / 12, 5 / 12, 7 / 12, 9 / 12, 11 / 12, 1];
  for (let y = 0; y < 4; y++) for (let x = 0; x < 8; x++) assert.ok(Math.abs((p.data[y * 8 + x] as number) - (row[x] as number)) < 1e-6, `(${x},${y})`);
  const gt = Float32Array.from({ length: 32 }, (_, i) => (i % 8 >= 3 ? 1 : 0)); // columns 3…7; prediction > 0.5 is 4…7
  assert.equal(imageIou(p.data, gt), 4 / 5);
  assert.equal(imageIou([0.2], [0]), 0); // empty union counts 0 (melas-kyriazi)
});

test('predictPhoto flip=true equals the mean of the plain pass and the flipped-back pass of the flipped photo (UNet w4 d2, 20×12 photo)', () => {
  const unet = createUNet({ inChannels: 3, nClasses: 2, width: 4, depth: 2, bilinear: false }, new Rng('flip-test'));
  const rng = new Rng('photo');
  const photo: Raster = { width: 20, height: 12, channels: 3, data: rng.uniformArray(20 * 12 * 3) };
  const before = tf.memory().numTensors;
  const both = predictPhoto(unet, 8, photo, { flip: true, multiple: 4 });
  assert.equal(tf.memory().numTensors, before);
  const a = predictPhoto(unet, 8, photo, { multiple: 4 });
  const b = flipHorizontal(predictPhoto(unet, 8, flipHorizontal(photo), { multiple: 4 }));
  let maxErr = 0, maxDiff = 0;
  for (let i = 0; i < both.data.length; i++) {
    maxErr = Math.max(maxErr, Math.abs((both.data[i] as number) - ((a.data[i] as number) + (b.data[i] as number)) / 2));
    maxDiff = Math.max(maxDiff, Math.abs((a.data[i] as number) - (b.data[i] as number)));
  }
  assert.ok(maxErr < 1e-5, `max error ${maxErr}`);
  assert.ok(maxDiff > 1e-4, 'the two passes differ (else the test proves nothing)');
  unet.dispose();
});
