import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { WeightsError } from '../../../src/core/errors.ts';
import { loadTorchCheckpoint } from '../../../src/io/torch/load.ts';
import type { StoredTensor } from '../../../src/io/state-dict.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import { toStateDict } from '../../../src/io/weights.ts';
import {
  bigGANDeepFromStateDict, bigGANFromStateDict, bigganWeightTargets, deepConfigFromJson, deepWeightTargets, inferBigGANConfig, inferDeepConfig,
  isBigGANIgnoredKey, loadBigGANDeep,
} from '../../../src/models/biggan/index.ts';

const DIR = 'test/fixtures/biggan';
const maxAbs = (a: tf.Tensor, b: StoredTensor): number => {
  assert.deepEqual(a.shape, b.shape);
  const x = a.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - Number(b.data[i])));
  return m;
};
const tensorOf = (t: StoredTensor): tf.Tensor2D => tf.tensor2d(Float32Array.from(t.data as ArrayLike<number>), t.shape as [number, number]);

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

test('BigGAN-deep tiny (32px, ch 4, attention at 2) matches the PyTorch re-statement at truncation 1, 0.4, 0.37', () => {
  const sd = loadTorchCheckpoint(`${DIR}/deep-tiny.pt`);
  const io = loadTorchCheckpoint(`${DIR}/deep-tiny-io.pt`);
  const config = deepConfigFromJson(JSON.parse(readFileSync(`${DIR}/deep-tiny-config.json`, 'utf8')));
  const inferred = inferDeepConfig(sd); // upsampling flags are not in the weights: alternating fallback
  assert.deepEqual({ ...inferred, layers: inferred.layers.map((l) => [l[1], l[2]]), outputDim: 0 }, { ...config, layers: config.layers.map((l) => [l[1], l[2]]), outputDim: 0 });
  assert.deepEqual(inferred.layers.map((l) => l[0]), [false, true, false, true, false]);
  const g = bigGANDeepFromStateDict(sd, { config });
  const before = tf.memory().numTensors;
  const z = tensorOf(io.get('z')!);
  const classes = [...(io.get('classes')!.data as Int32Array)];
  for (const [t, key] of [[1, 'out_t100'], [0.4, 'out_t040'], [0.37, 'out_t037']] as const) {
    const { images } = g.synthesize(z, { classes, truncation: t });
    const err = maxAbs(images, io.get(key)!);
    console.log(`biggan-deep tiny truncation ${t}: max abs error ${err.toExponential(2)}`);
    assert.ok(err <= 1e-4, `truncation ${t}: ${err}`);
    images.dispose();
  }
  z.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  assert.equal(g.resolution, 32);
  assert.equal(g.numClasses, 5);
  assert.throws(() => g.synthesize(tf.zeros([2, 8]) as tf.Tensor2D), /classes/);
  g.dispose();
});

test('BigGAN-deep folder (pytorch_model.bin + config.json) loads; features are returned', () => {
  const dir = mkdtempSync(join(tmpdir(), 'biggan-deep-'));
  copyFileSync(`${DIR}/deep-tiny.pt`, join(dir, 'pytorch_model.bin'));
  copyFileSync(`${DIR}/deep-tiny-config.json`, join(dir, 'config.json'));
  const g = loadBigGANDeep(dir);
  rmSync(dir, { recursive: true });
  const { images, features } = g.synthesize(tf.zeros([1, 8]) as tf.Tensor2D, { classes: [0], returnFeatures: true });
  assert.deepEqual(images.shape, [1, 32, 32, 3]);
  assert.deepEqual(Object.keys(features!), ['layers.0', 'layers.1', 'layers.2', 'layers.3', 'layers.4', 'layers.5']);
  assert.deepEqual(features!['layers.2']!.shape, [1, 8, 8, 32]); // attention after blocks 0 (4×4) and 1 (↑ 8×8)
  images.dispose();
  Object.values(features!).forEach((f) => f.dispose());
  g.dispose();
});

for (const name of ['biggan-tiny-hier', 'biggan-tiny-flat']) {
  test(`BigGAN-PyTorch ${name} matches the PyTorch re-statement`, () => {
    const sd = loadTorchCheckpoint(`${DIR}/${name}.pt`);
    const io = loadTorchCheckpoint(`${DIR}/${name}-io.pt`);
    const overrides = name.endsWith('flat') ? { bnEps: 1e-5, snEps: 1e-8 } : {};
    const g = bigGANFromStateDict(sd, { overrides });
    const z = tensorOf(io.get('z')!);
    const classes = [...(io.get('classes')!.data as Int32Array)];
    const before = tf.memory().numTensors;
    const { images } = g.synthesize(z, { classes });
    const err = maxAbs(images, io.get('out')!);
    console.log(`${name}: max abs error ${err.toExponential(2)}`);
    assert.ok(err <= 1e-4, `${name}: ${err}`);
    images.dispose();
    assert.equal(tf.memory().numTensors, before);
    z.dispose();
    g.dispose();
  });
}

test('BigGAN config inference: hierarchy, chunk, attention', () => {
  const c = inferBigGANConfig(loadTorchCheckpoint(`${DIR}/biggan-tiny-hier.pt`));
  assert.equal(c.resolution, 32);
  assert.equal(c.ch, 4);
  assert.equal(c.hier, true);
  assert.equal(c.dimZ, 12);
  assert.deepEqual(c.attention, [16]);
  const f = inferBigGANConfig(loadTorchCheckpoint(`${DIR}/biggan-tiny-flat.pt`));
  assert.equal(f.resolution, 64);
  assert.equal(f.hier, false);
  assert.deepEqual(f.attention, [32]);
});

test('a state dict that does not fit lists every missing, unexpected and wrongly shaped key', () => {
  const sd = loadTorchCheckpoint(`${DIR}/biggan-tiny-hier.pt`);
  const config = inferBigGANConfig(sd);
  sd.delete('blocks.0.0.conv1.weight');
  sd.set('extra.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
  const w = sd.get('linear.bias')!;
  sd.set('linear.bias', { ...w, shape: [w.shape[0]! / 2], data: (w.data as Float32Array).slice(0, w.shape[0]! / 2) });
  assert.throws(() => bigGANFromStateDict(sd, { config }), (e: unknown) =>
    e instanceof WeightsError && /blocks\.0\.0\.conv1\.weight/.test(e.message) && /extra\.weight/.test(e.message) && /linear\.bias/.test(e.message));
});

test('wasm backend: BigGAN-deep and BigGAN parity hold too', async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
  try {
    const io = loadTorchCheckpoint(`${DIR}/deep-tiny-io.pt`);
    const config = deepConfigFromJson(JSON.parse(readFileSync(`${DIR}/deep-tiny-config.json`, 'utf8')));
    const g = bigGANDeepFromStateDict(loadTorchCheckpoint(`${DIR}/deep-tiny.pt`), { config });
    const z = tensorOf(io.get('z')!);
    const { images } = g.synthesize(z, { classes: [...(io.get('classes')!.data as Int32Array)], truncation: 0.37 });
    const err = maxAbs(images, io.get('out_t037')!);
    console.log(`wasm biggan-deep tiny truncation 0.37: max abs error ${err.toExponential(2)}`);
    assert.ok(err <= 1e-4);
    tf.dispose([images, z]);
    g.dispose();
    const io2 = loadTorchCheckpoint(`${DIR}/biggan-tiny-hier-io.pt`);
    const b = bigGANFromStateDict(loadTorchCheckpoint(`${DIR}/biggan-tiny-hier.pt`));
    const z2 = tensorOf(io2.get('z')!);
    const out = b.synthesize(z2, { classes: [...(io2.get('classes')!.data as Int32Array)] }).images;
    const err2 = maxAbs(out, io2.get('out')!);
    console.log(`wasm biggan-tiny-hier: max abs error ${err2.toExponential(2)}`);
    assert.ok(err2 <= 1e-4);
    tf.dispose([out, z2]);
    b.dispose();
  } finally {
    await initBackend({ backend: 'cpu', ignoreEnv: true });
  }
});

test('gradients w.r.t. z flow through both generators (finite-difference check on one coordinate)', () => {
  const io = loadTorchCheckpoint(`${DIR}/biggan-tiny-hier-io.pt`);
  const g = bigGANFromStateDict(loadTorchCheckpoint(`${DIR}/biggan-tiny-hier.pt`));
  const z = tensorOf(io.get('z')!);
  const f = (x: tf.Tensor): tf.Scalar => tf.mean(tf.square(g.synthesize(x as tf.Tensor2D, { classes: [2, 0] }).images)) as tf.Scalar;
  const grad = tf.grad(f)(z);
  const h = 1e-2;
  const e = tf.oneHot(tf.tensor1d([5], 'int32'), 12).reshape([1, 12]).pad([[0, 1], [0, 0]]).mul(h) as tf.Tensor2D;
  const fd = (f(tf.add(z, e) as tf.Tensor2D).dataSync()[0]! - f(tf.sub(z, e) as tf.Tensor2D).dataSync()[0]!) / (2 * h);
  const an = grad.dataSync()[5]!;
  assert.ok(Math.abs(an - fd) <= 1e-3 + 0.05 * Math.abs(fd), `analytic ${an} vs finite difference ${fd}`);
  assert.ok(Math.abs(an) > 1e-6);
  const { features } = g.synthesize(z, { classes: [2, 0], returnFeatures: true });
  assert.deepEqual(Object.keys(features!), ['blocks.0', 'blocks.1', 'blocks.2']);
  assert.deepEqual(features!['blocks.1']!.shape, [2, 16, 16, 16]);
  g.dispose();
  // BigGAN-deep, truncation 0.37.
  const dio = loadTorchCheckpoint(`${DIR}/deep-tiny-io.pt`);
  const config = deepConfigFromJson(JSON.parse(readFileSync(`${DIR}/deep-tiny-config.json`, 'utf8')));
  const d = bigGANDeepFromStateDict(loadTorchCheckpoint(`${DIR}/deep-tiny.pt`), { config });
  const dz = tensorOf(dio.get('z')!);
  const fdeep = (x: tf.Tensor): tf.Scalar => tf.mean(tf.square(d.synthesize(x as tf.Tensor2D, { classes: [3, 1], truncation: 0.37 }).images)) as tf.Scalar;
  const dg = tf.grad(fdeep)(dz).dataSync()[3]!;
  const e3 = tf.oneHot(tf.tensor1d([3], 'int32'), 8).reshape([1, 8]).pad([[0, 1], [0, 0]]).mul(h) as tf.Tensor2D;
  const dfd = (fdeep(tf.add(dz, e3) as tf.Tensor2D).dataSync()[0]! - fdeep(tf.sub(dz, e3) as tf.Tensor2D).dataSync()[0]!) / (2 * h);
  assert.ok(Math.abs(dg - dfd) <= 1e-3 + 0.05 * Math.abs(dfd), `deep: analytic ${dg} vs finite difference ${dfd}`);
  assert.ok(Math.abs(dg) > 1e-6);
  d.dispose();
});

test('weight targets round-trip: toStateDict(targets) reproduces the loaded reference tensors exactly', () => {
  for (const [file, make] of [
    ['deep-tiny.pt', (sd: StateDict) => { const g = bigGANDeepFromStateDict(sd, { config: deepConfigFromJson(JSON.parse(readFileSync(`${DIR}/deep-tiny-config.json`, 'utf8'))) }); return { g, t: deepWeightTargets(g.params) }; }],
    ['biggan-tiny-hier.pt', (sd: StateDict) => { const g = bigGANFromStateDict(sd); return { g, t: bigganWeightTargets(g.params) }; }],
  ] as const) {
    const sd = loadTorchCheckpoint(`${DIR}/${file}`);
    const { g, t } = make(sd);
    const back = toStateDict(t);
    for (const [k, v] of back) {
      const ref = sd.get(k)!;
      assert.deepEqual(v.shape, ref.shape, k);
      for (let i = 0; i < v.data.length; i++) assert.equal(v.data[i], ref.data[i], `${file} ${k}[${i}]`);
    }
    assert.equal(back.size, [...sd.keys()].filter((k) => !isBigGANIgnoredKey(k)).length);
    g.dispose();
  }
});
