import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { ConfigError, ShapeError } from '../../../src/core/errors.ts';
import { readSafetensors } from '../../../src/io/safetensors-file.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import { createDCGANDiscriminator, createDCGANGenerator, dcganSmall32 } from '../../../src/models/dcgan/index.ts';

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
};

const fixture = () => {
  const { tensors, metadata } = readSafetensors('test/fixtures/dcgan/dcgan-32.safetensors');
  const sub = (p: string): StateDict => new Map([...tensors].filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));
  const get = (k: string): tf.Tensor => {
    const t = tensors.get(k)!;
    return tf.tensor(Float32Array.from(t.data as ArrayLike<number>), [...t.shape]);
  };
  return { g: sub('g.'), d: sub('d.'), get, config: JSON.parse(metadata.config!) as unknown };
};

test('DCGAN 32×32 (latent 16, width 8, D with BN) matches PyTorch: G eval, G train, D eval', () => {
  const f = fixture();
  const g = createDCGANGenerator(f.config, new Rng(0)), d = createDCGANDiscriminator(f.config, new Rng(1));
  g.loadStateDict(f.g);
  d.loadStateDict(f.d);
  const z = f.get('io.z') as tf.Tensor2D;
  const nhwc = (k: string) => tf.transpose(f.get(k), [0, 2, 3, 1]);
  const imgs = g.synthesize(z).images;
  const eG = maxAbs(imgs, nhwc('io.g_eval'));
  const eD = maxAbs(d.score(imgs, false), f.get('io.d_eval'));
  const eT = maxAbs(g.generate(z, true), nhwc('io.g_train'));
  console.log(`  dcgan max abs errors: G eval ${eG.toExponential(2)}, D eval ${eD.toExponential(2)}, G train ${eT.toExponential(2)}`);
  assert.ok(eG <= 1e-4 && eD <= 1e-4 && eT <= 1e-4);
  assert.deepEqual([...g.stateDict().keys()], [...f.g.keys()]);
  assert.deepEqual([...d.stateDict().keys()], [...f.d.keys()]);
  g.dispose();
  d.dispose();
});

test('dcganSmall32: shapes, range, backward through G and D, no leaks', () => {
  const g = createDCGANGenerator(dcganSmall32, new Rng(0)), d = createDCGANDiscriminator(dcganSmall32, new Rng(1));
  assert.equal(g.latentDim, 128);
  assert.equal(g.resolution, 32);
  const z = g.sampleLatent(3, new Rng(2));
  assert.deepEqual(z.shape, [3, 128]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    const vars = [...g.variables(), ...d.variables()].filter((v) => v.trainable);
    const { value, grads } = tf.variableGrads(() => tf.mean(d.score(g.generate(z, true), true)) as tf.Scalar, vars);
    assert.equal(Object.keys(grads).length, vars.length);
    assert.ok(vars.every((v) => tf.tidy(() => tf.any(tf.notEqual(grads[v.name]!, 0)).dataSync()[0] === 1)), 'every gradient is non-zero somewhere');
    tf.dispose([value, ...Object.values(grads)]);
  }
  assert.equal(tf.memory().numTensors, before);
  const x = g.synthesize(z).images;
  assert.deepEqual(x.shape, [3, 32, 32, 3]);
  const [lo, hi] = [x.min().dataSync()[0]!, x.max().dataSync()[0]!];
  assert.ok(lo >= -1 && hi <= 1);
  assert.throws(() => g.synthesize(z, { classes: [1, 2, 3] }), ShapeError);
  assert.throws(() => d.score(tf.zeros([1, 16, 16, 3]) as tf.Tensor4D, false), ShapeError);
  assert.throws(() => createDCGANGenerator({ ...dcganSmall32, resolution: 256 }, new Rng(0)), ConfigError);
  tf.dispose([z, x]);
  g.dispose();
  d.dispose();
});
