import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { protocolMetrics } from '../../src/pipeline/segmenter.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

// Two 2×2 masks; the prediction is a probability map right on every pixel (0.8 on foreground, 0.2 elsewhere),
// except one foreground pixel at exactly 0.5 (not > 0.5: background in `segment`'s masks).
const truth = tf.tensor4d([1, 1, 0, 0, 0, 1, 0, 0], [2, 2, 2, 1]);
const probs = tf.tensor4d([0.8, 0.5, 0.2, 0.2, 0.2, 0.8, 0.2, 0.2], [2, 2, 2, 1]);

test('protocolMetrics labels4free scores the 0.5-thresholded masks (test_customdata.py reads 0/255 files), not probabilities it would call background', async () => {
  const before = tf.memory().numTensors;
  const m = await protocolMetrics('labels4free')(probs, truth);
  assert.equal(tf.memory().numTensors, before, 'no tensor left');
  // One confusion matrix: fg tp 2, fn 1 (the 0.5 pixel), bg tp 5, fp 0 → IoU_fg 2/3, IoU_bg 5/6 (eps 1e-4), mIoU 0.75.
  assert.ok(Math.abs(m['iou']! - (2 / 3 + 5 / 6) / 2) < 1e-4, `mIoU ${m['iou']}`);
  // melas-kyriazi thresholds the probabilities itself (p > 0.5), per image: IoU 1/2 and 1, mean 0.75.
  const mk = await protocolMetrics('melas-kyriazi')(probs, truth);
  assert.ok(Math.abs(mk['iou']! - 0.75) < 1e-9, `melas-kyriazi IoU ${mk['iou']}`);
});
