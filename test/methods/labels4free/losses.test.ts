import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import type { MaskBatch } from '../../../src/core/tensor.ts';
import { alphaGeneratorLoss, bgCoverageLoss, binarizationLoss, fgCoverageLoss } from '../../../src/methods/labels4free/losses.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

// α [2,1,2,1]: image 0 = (0.1, 0.7), image 1 = (0.5, 0.9). Per-image means 0.4 and 0.7.
const alpha = (): MaskBatch => tf.tensor4d([0.1, 0.7, 0.5, 0.9], [2, 1, 2, 1]) as MaskBatch;
const close = (x: tf.Scalar, want: number): void => { const v = x.dataSync()[0]!; x.dispose(); assert.ok(Math.abs(v - want) < 1e-6, `${v} vs ${want}`); };

test('binarizationLoss α=[2,1,2,1]: mean(min(α,1−α)) = (0.1+0.3+0.5+0.1)/4 = 0.25', () => {
  const a = alpha(); close(binarizationLoss(a), 0.25); a.dispose();
});

test('fgCoverageLoss is per image: mean(relu(0.5−0.4), relu(0.5−0.7)) = 0.05 (not relu(0.5 − 0.55) = 0)', () => {
  const a = alpha(); close(fgCoverageLoss(a, 0.5), 0.05); close(fgCoverageLoss(a, 0.25), 0); a.dispose();
});

test('bgCoverageLoss: mean(relu(0.5−0.6), relu(0.5−0.3)) = 0.1', () => {
  const a = alpha(); close(bgCoverageLoss(a, 0.5), 0.1); a.dispose();
});

test('alphaGeneratorLoss = sat·softplus(−D) + lm·(bin + fg) + bgW·bg, logits (0, ln 3)', () => {
  const a = alpha(), logits = tf.tensor1d([0, Math.log(3)]);
  // softplus(0) = ln 2, softplus(−ln 3) = ln(4/3): mean = (ln 2 + ln 4/3)/2
  const adv = (Math.log(2) + Math.log(4 / 3)) / 2;
  const l = alphaGeneratorLoss(logits, a, { satWeight: 0.1, lossMultiplier: 3, fgCoverageValue: 0.5, bgCoverageWeight: 40, bgCoverageValue: 0.5 });
  close(l.adversarial, adv); close(l.binarization, 0.25); close(l.fgCoverage, 0.05); close(l.bgCoverage, 0.1);
  close(l.total, 0.1 * adv + 3 * (0.25 + 0.05) + 40 * 0.1);
  a.dispose(); logits.dispose();
});
