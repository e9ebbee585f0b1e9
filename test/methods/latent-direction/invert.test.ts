import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { invertImages } from '../../../src/methods/latent-direction/invert.ts';
import { LatentDirection } from '../../../src/methods/latent-direction/model.ts';
import { PAPER_MASK_FILTERS } from '../../../src/methods/latent-direction/masks.ts';
import { TinyLinearGenerator } from './tiny-generator.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('invertImages [3,16,16,3] of a linear generator recovers images (MSE < 1e-3) and masks of the real images match the disc', async () => {
  const g = new TinyLinearGenerator();
  const zTrue = g.sampleLatent(3, new Rng(5));
  const targets = g.synthesize(zTrue).images;
  const before = tf.memory().numTensors;
  const { batch, mse } = await invertImages(g, targets, new Rng(6), { steps: 150, learningRate: 0.1, latentPrior: 0 });
  assert.ok(mse < 1e-3, `mse ${mse}`);
  const d = LatentDirection.fromVectors(g, [1, 0, 0, 0, 0, 0, 0, 0], { variant: 'background', space: 'z', maskRadius: 5 });
  const out = d.masksFor(g, batch, PAPER_MASK_FILTERS);
  const m = out.masks.dataSync();
  for (let i = 0; i < 3; i++) for (let p = 0; p < 256; p++) assert.equal(m[i * 256 + p], g.disc[p]);
  for (const t of [out.images, out.masks, out.rawMasks, out.shifted, batch.latents]) t.dispose();
  d.dispose();
  assert.equal(tf.memory().numTensors, before);
  zTrue.dispose(); targets.dispose(); g.dispose();
});

test('LatentDirection refuses another generator and a wrong latent size', () => {
  const g = new TinyLinearGenerator();
  const other = new TinyLinearGenerator({ id: 'someone-else' });
  const d = LatentDirection.fromVectors(g, [2, 0, 0, 0, 0, 0, 0, 0], { variant: 'single', space: 'z', maskRadius: 5 });
  assert.ok(Math.abs((d.vector.dataSync()[0] as number) - 1) < 1e-6, 'normalised');
  assert.throws(() => d.synthesizeMasks(other, 2, new Rng(0), PAPER_MASK_FILTERS), /made for generator 'tiny-linear-8-16', refusing generator 'someone-else'/);
  assert.throws(() => LatentDirection.fromVectors(g, [1, 0, 0], { variant: 'single', space: 'z', maskRadius: 5 }), /3 entries/);
  assert.throws(() => LatentDirection.fromVectors(g, [1, 0, 0, 0, 0, 0, 0, 0], { variant: 'single', space: 'w', maskRadius: 5 }), /style-based/);
  d.dispose(); g.dispose(); other.dispose();
});
