import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { countLeaks } from '../../../src/core/tensor.ts';
import { dLogisticLoss, gNonSaturatingLoss } from '../../../src/train/losses.ts';
import { GanSegDiscriminator, ganSegDiscriminatorFor, gansegGradientPenalty } from '../../../src/methods/ganseg/index.ts';
import { readFixture, tensor, nhwc, stateDict, maxAbsDiff } from '../../nn/fixture.ts';

// Written by tools/parity/ganseg.py (disc_fixture) from the official models/discriminator.py and train_gan.py.
const F = readFixture('test/fixtures/ganseg/disc');

before(async () => { await initBackend(); });

const tiny = (): GanSegDiscriminator => {
  const d = GanSegDiscriminator.create({ channels: [4, 8, 8] as never, fcHidden: 16 as never }, 16, new Rng(0));
  d.loadStateDict(stateDict(F, 'sd.'));
  return d;
};

test('GanSegDiscriminator 16²→2² channels 4,8,8 fc 32→16→1: logits [3] match the official Discriminator ≤ 1e-5', () => {
  const d = tiny();
  for (const k of ['real', 'fake']) {
    const got = d.score(nhwc(F, `in.${k}`), true), want = tensor(F, `out.${k}`);
    const e = maxAbsDiff(got, want);
    console.log(`  ${k} logits: max abs error ${e.toExponential(2)}`);
    assert.ok(e <= 1e-5, `${k}: ${e}`);
  }
  // state dict round trip: the official keys, same values
  const sd = d.stateDict();
  assert.deepEqual([...sd.keys()].sort(), [...stateDict(F, 'sd.').keys()].sort());
  d.dispose();
});

test('train_gan.py losses on fixed tensors: softplus D loss, gradient_penalty (weight 10), G loss and D-loss gradients (second order) match', () => {
  const d = tiny();
  const real = nhwc(F, 'in.real'), fake = nhwc(F, 'in.fake');
  const near = (name: string, got: number, want: number, tol: number): void => {
    console.log(`  ${name}: ${got} vs official ${want}`);
    assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${name}: ${got} vs ${want}`);
  };
  const plain = dLogisticLoss(d.score(real, true), d.score(fake, true));
  const gp = gansegGradientPenalty((x) => d.score(x, true), real);
  near('softplus D loss', plain.dataSync()[0]!, tensor(F, 'loss.plain').dataSync()[0]!, 1e-5);
  near('gradient_penalty', gp.dataSync()[0]!, tensor(F, 'loss.gp').dataSync()[0]!, 1e-5);
  near('G loss', gNonSaturatingLoss(d.score(fake, true)).dataSync()[0]!, tensor(F, 'loss.gen').dataSync()[0]!, 1e-5);
  const [w0, w2] = [d.weightTargets().get('conv.0.net.0.weight')!.variable, d.weightTargets().get('fc.2.weight')!.variable];
  const { grads } = tf.variableGrads(() => tf.add(dLogisticLoss(d.score(real, true), d.score(fake, true)), gansegGradientPenalty((x) => d.score(x, true), real)) as tf.Scalar, [w0, w2]);
  const g0 = tf.transpose(tensor(F, 'grad.conv.0.net.0.weight'), [2, 3, 1, 0]), g2 = tf.transpose(tensor(F, 'grad.fc.2.weight'));
  for (const [name, got, want] of [['∂/∂conv.0.net.0.weight', grads[w0.name]!, g0], ['∂/∂fc.2.weight', grads[w2.name]!, g2]] as const) {
    const e = maxAbsDiff(got, want), scale = tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0]!);
    console.log(`  ${name}: max abs error ${e.toExponential(2)} (max |grad| ${scale.toExponential(2)})`);
    assert.ok(e <= 1e-4 * Math.max(1, scale), `${name}: ${e}`);
  }
  tf.dispose([plain, gp, real, fake, g0, g2, ...Object.values(grads)]);
  d.dispose();
});

test('ganSegDiscriminatorFor: the official channel table cut to reach 2² (128: six blocks, 64: five); no leak in score', () => {
  assert.deepEqual(ganSegDiscriminatorFor(128).channels, [64, 128, 256, 512, 512, 512]);
  assert.deepEqual(ganSegDiscriminatorFor(64).channels, [64, 128, 256, 512, 512]);
  assert.throws(() => ganSegDiscriminatorFor(48));
  const d = tiny();
  const x = tf.zeros([2, 16, 16, 3]) as tf.Tensor4D;
  assert.equal(countLeaks(() => tf.dispose(d.score(x, false))).leaked, 0);
  x.dispose(); d.dispose();
});
