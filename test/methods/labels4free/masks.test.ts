import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { ConfigError } from '../../../src/core/errors.ts';
import { Rng } from '../../../src/core/rng.ts';
import { StyleGAN2Generator } from '../../../src/models/stylegan2/index.ts';
import { AlphaBranch } from '../../../src/methods/labels4free/index.ts';
import { loadGeneratorFile } from '../../../src/pipeline/generators.ts';

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

test('AlphaBranch.masks z=[3,D] on tiny-rosinality 16²: test_sample.py latents (ψ 0.5, α of G(z)), masks = α > th, same numbers as layers(sample), no leak', () => {
  const g = loadGeneratorFile('test/fixtures/stylegan2/tiny-rosinality.pt');
  assert.ok(g instanceof StyleGAN2Generator);
  const branch = AlphaBranch.create(g, new Rng('masks'));
  const z = g.sampleLatent(3, new Rng('z')), z2 = g.sampleLatent(3, new Rng('z2'));
  try {
    tf.dispose(Object.values(branch.masks(z))); // warm-up: the generator caches mean W on first truncation
    const n0 = tf.memory().numTensors;
    const m = branch.masks(z, { threshold: 0.5 });
    assert.deepEqual(m.images.shape, [3, 16, 16, 3]);
    assert.deepEqual(m.alpha.shape, [3, 16, 16, 1]);
    assert.deepEqual(m.masks.shape, [3, 16, 16, 1]);
    const l = branch.layers(z, { latents: 'sample', zBackground: z2 });
    assert.ok(maxAbs(m.images, l.foreground) === 0, 'images = G(z) at ψ sampleTruncation (0.5), as test_sample.py');
    assert.ok(maxAbs(m.alpha, l.alpha) === 0, 'α of the foreground pass, independent of z₂');
    assert.ok(tf.tidy(() => maxAbs(g.synthesize(z, { truncation: 1 }).images, m.images)) > 1e-3, 'not the untruncated image');
    const a = m.alpha.dataSync(), k = m.masks.dataSync();
    let on = 0;
    for (let i = 0; i < a.length; i++) { assert.equal(k[i], (a[i] as number) > 0.5 ? 1 : 0); on += k[i] as number; }
    assert.ok(on > 0 && on < a.length, `a fresh α straddles 0.5: ${on}/${a.length}`);
    // Default threshold: the reference's --th 0.9.
    const d = branch.masks(z), l9 = l.mask!.dataSync(), d9 = d.masks.dataSync();
    assert.deepEqual(Array.from(d9), Array.from(l9));
    tf.dispose([m.images, m.alpha, m.masks, d.images, d.alpha, d.masks, l.foreground, l.background, l.alpha, l.composite, l.mask!]);
    assert.equal(tf.memory().numTensors, n0, 'no tensor left behind');
    assert.throws(() => branch.masks(z, { threshold: 1.5 }), ConfigError);
  } finally {
    tf.dispose([z, z2]);
    branch.dispose();
    g.dispose();
  }
});
