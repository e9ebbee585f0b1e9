import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { WeightsError } from '../../../src/core/errors.ts';
import { readTorchCheckpoint } from '../../../src/io/torch/checkpoint.ts';
import { loadStyleGAN2Checkpoint } from '../../../src/models/stylegan2/index.ts';
import { storedToTensor } from '../../../src/io/weights.ts';
import { maxAbsDiff } from '../../nn/fixture.ts';

const FILE = 'test/fixtures/stylegan2/tiny-rosinality.pt';

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

test('loadStyleGAN2Checkpoint reads a torch.save\'d rosinality checkpoint (g_ema + d) and reproduces its images', () => {
  const bytes = readFileSync(FILE);
  const { config, generator, discriminator } = loadStyleGAN2Checkpoint(bytes, { where: 'tiny.pt', discriminator: true });
  assert.equal(config.resolution, 16);
  assert.deepEqual(config.channels, [8, 4, 4]);
  assert.equal(config.nMlp, 1);
  const check = readTorchCheckpoint(bytes, { key: 'check' });
  tf.tidy(() => {
    const z = storedToTensor(check.get('z') as never) as tf.Tensor2D;
    const want = tf.transpose(storedToTensor(check.get('images') as never), [0, 2, 3, 1]);
    const e = maxAbsDiff(generator.synthesize(z).images, want);
    console.log(`  .pt checkpoint G(z): max abs error vs PyTorch ${e.toExponential(2)}`);
    assert.ok(e <= 1e-4);
    assert.deepEqual(discriminator?.apply(tf.zeros([2, 16, 16, 3])).shape, [2, 1]);
  });
  generator.dispose();
  discriminator?.dispose();
});

test('loadStyleGAN2Checkpoint with a missing sub-dict is a WeightsError naming the file and the keys present', () => {
  assert.throws(() => loadStyleGAN2Checkpoint(readFileSync(FILE), { where: 'tiny.pt', generatorKey: 'g' }), (e: unknown) =>
    e instanceof WeightsError && /^tiny\.pt: key 'g' not found; available keys: g_ema, d, check/.test(e.message));
});
