import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import type { MaskBatch, ImageBatch } from '../../../src/core/tensor.ts';
import {
  LayeredDiscriminator, ilsBinarizationLoss, ilsDiscriminatorConfig, ilsSigma, independenceLoss, ilsMaskSizeLoss,
} from '../../../src/methods/ilsgan/index.ts';
import { readFixture, tensor, nhwc, stateDict, maxAbsDiff } from '../../nn/fixture.ts';

// Fixture written by tools/parity/ilsgan.py from the official training/networks.py (DiscriminatorOpen) and training/loss.py.
const F = readFixture('test/fixtures/ilsgan/train16');

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

const close = (name: string, ours: tf.Tensor, ref: tf.Tensor, tol: number): void => {
  const e = maxAbsDiff(ours, ref);
  console.log(`  ${name}: max abs error vs official code ${e.toExponential(2)}`);
  assert.ok(e <= tol, `${name}: ${e} > ${tol}`);
};

test('LayeredDiscriminator matches the official DiscriminatorOpen (16², resnet, mbstd 4, seeded weights)', () => {
  const d = LayeredDiscriminator.create({ ...ilsDiscriminatorConfig(16), channelBase: 64, channelMax: 16 }, new Rng(0));
  d.loadStateDict(stateDict(F, 'd.'), 'fixture DiscriminatorOpen');
  const x = nhwc(F, 'dx.x');
  const logits = d.score(x, false);
  const ref = tensor(F, 'dx.logits');
  close('D logits', logits, ref, 1e-4);
  // and back out under the official names
  const sd = d.stateDict();
  assert.ok(sd.has('b16.fromrgb.weight') && sd.has('b8.skip.weight') && sd.has('b4.fc.weight') && sd.has('b4.out.bias'));
  assert.deepEqual(sd.get('b4.fc.weight')!.shape, [16, 256]);
  tf.dispose([x, logits, ref]);
  d.dispose();
});

const perm = (k: string): number[] => Array.from(tensor(F, k).dataSync());

test('independenceLoss = official estimate_MI (ILS_predL, σ 0.2): value and gradients', () => {
  const fg = nhwc(F, 'l.fg') as ImageBatch, bg = nhwc(F, 'l.bg') as ImageBatch, mask = nhwc(F, 'l.mask') as MaskBatch;
  const perms = [perm('l.perm0'), perm('l.perm1')] as const;
  const mi = independenceLoss({ foreground: fg, background: bg, mask }, 0.2, perms);
  const ref = tensor(F, 'l.mi');
  close('MI bound', mi.reshape([1]), ref, 1e-6);
  assert.ok(Math.abs(ref.dataSync()[0]!) > 1e-3, 'the fixture value is not trivially 0');
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, m: tf.Tensor) =>
    independenceLoss({ foreground: a as ImageBatch, background: b as ImageBatch, mask: m as MaskBatch }, 0.2, perms))([fg, bg, mask]);
  close('∂MI/∂fg (zero outside (−1,1))', grads[0]!, nhwc(F, 'l.grad_fg'), 1e-6);
  close('∂MI/∂bg', grads[1]!, nhwc(F, 'l.grad_bg'), 1e-6);
  close('∂MI/∂mask', grads[2]!, nhwc(F, 'l.grad_mask'), 1e-6);
  tf.dispose([fg, bg, mask, mi, ref, ...grads]);
});

test('binarization and mask size = loss.py Gmain expressions', () => {
  const mask = nhwc(F, 'l.mask') as MaskBatch, small = nhwc(F, 'l.small_mask') as MaskBatch;
  close('binarization', ilsBinarizationLoss(mask), tensor(F, 'l.bin'), 1e-6);
  close('mask size (perturbed)', ilsMaskSizeLoss(mask, 0.25, true), tensor(F, 'l.msize'), 1e-6);
  close('mask size (no perturbation: + background term)', ilsMaskSizeLoss(mask, 0.25, false), tensor(F, 'l.msize_noperturb'), 1e-6);
  const s = ilsMaskSizeLoss(small, 0.25, true);
  close('mask size (active hinge)', s, tensor(F, 'l.small_msize'), 1e-6);
  assert.ok(s.dataSync()[0]! > 0.1);
  tf.dispose([mask, small, s]);
});

test('σ schedule: initial σ through 400 kimg, then the configured σ', () => {
  const c = { sigma: 1, initialSigma: 0.2 };
  assert.equal(ilsSigma(0, c), 0.2);
  assert.equal(ilsSigma(400, c), 0.2);
  assert.equal(ilsSigma(401, c), 1);
});
