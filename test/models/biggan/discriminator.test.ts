import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { ConfigError, ShapeError, WeightsError } from '../../../src/core/errors.ts';
import { Rng } from '../../../src/core/rng.ts';
import { readSafetensors } from '../../../src/io/safetensors-file.ts';
import type { StateDict, StoredTensor } from '../../../src/io/state-dict.ts';
import { toStateDict } from '../../../src/io/weights.ts';
import { bigganSpectralSigma } from '../../../src/nn/spectral-norm.ts';
import {
  BIGGAN_D_PRESETS, BigGANDiscriminatorConfig, bigganDiscriminatorArch, bigganDiscriminatorWeightTargets, bigGANDiscriminatorFromStateDict,
  createBigGANDiscriminator, inferBigGANDiscriminatorConfig,
} from '../../../src/models/biggan/index.ts';
import { decodeOrThrow } from '../../../src/core/codec.ts';

const DIR = 'test/fixtures/biggan-d';
const tensorOf = (t: StoredTensor): tf.Tensor => tf.tensor(Float32Array.from(t.data as ArrayLike<number>), [...t.shape]);
const maxAbs = (a: tf.Tensor, b: StoredTensor): number => {
  assert.deepEqual(a.shape, [...b.shape]);
  const x = a.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - Number(b.data[i])));
  return m;
};
const fixture = (name: string) => {
  const w = readSafetensors(`${DIR}/${name}.safetensors`);
  const io = readSafetensors(`${DIR}/${name}-io.safetensors`).tensors;
  return { sd: w.tensors, io, config: decodeOrThrow(BigGANDiscriminatorConfig, JSON.parse(w.metadata.config!)) };
};

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

for (const name of ['d32', 'd64']) {
  test(`BigGAN-PyTorch D ${name}: config inferred from shapes, D(x, y) matches the PyTorch re-statement (eval)`, () => {
    const { sd, io, config } = fixture(name);
    assert.deepEqual(inferBigGANDiscriminatorConfig(sd, { snEps: config.snEps }), config);
    const d = bigGANDiscriminatorFromStateDict(sd, { overrides: { snEps: config.snEps } });
    const x = tensorOf(io.get('x')!) as tf.Tensor4D;
    const classes = [...(io.get('classes')!.data as Int32Array)];
    const before = tf.memory().numTensors;
    const out = d.apply(x, classes);
    const err = maxAbs(out, io.get('out')!);
    console.log(`  biggan D ${name}: max abs error ${err.toExponential(2)} (outputs up to ${Math.max(...[...out.dataSync()].map(Math.abs)).toFixed(2)})`);
    assert.ok(err <= 1e-4, `${name}: ${err}`);
    out.dispose();
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    x.dispose();
    d.dispose();
  });
}

test('eval spectral norm: σ of every SN layer is one power step from the stored u0 (not the sv0 log), as the reference', () => {
  const { sd, io, config } = fixture('d32');
  const d = bigGANDiscriminatorFromStateDict(sd, { config });
  const targets = bigganDiscriminatorWeightTargets(d.params);
  const layers = [...io.keys()].filter((k) => k.startsWith('sigma.')).map((k) => k.slice('sigma.'.length));
  assert.equal(layers.length, [...targets.keys()].filter((k) => k.endsWith('.u0')).length, 'one reference σ per SN layer');
  let worst = 0, svGap = 0;
  for (const l of layers) {
    const ref = Number(io.get(`sigma.${l}`)!.data[0]);
    const ours = tf.tidy(() => bigganSpectralSigma(targets.get(`${l}.weight`)!.variable, targets.get(`${l}.u0`)!.variable as tf.Tensor as tf.Tensor1D, config.snEps).dataSync()[0]!);
    worst = Math.max(worst, Math.abs(ours - ref) / ref);
    svGap = Math.max(svGap, Math.abs(Number(sd.get(`${l}.sv0`)!.data[0]) - ref) / ref);
  }
  console.log(`  ${layers.length} SN layers: max relative σ error ${worst.toExponential(2)}; the sv0 logs differ by up to ${svGap.toFixed(3)}`);
  assert.ok(worst <= 1e-5, `σ relative error ${worst}`);
  assert.ok(svGap > 1e-3, 'the fixture distinguishes sv0 from the eval σ');
  d.dispose();
});

test('gradient w.r.t. the input flows (finite, nonzero) and equals the reference d(sum D)/dx', () => {
  const { sd, io, config } = fixture('d32');
  const d = bigGANDiscriminatorFromStateDict(sd, { config });
  const x = tensorOf(io.get('x')!) as tf.Tensor4D;
  const y = tf.tensor1d([...(io.get('classes')!.data as Int32Array)], 'int32');
  const before = tf.memory().numTensors;
  const g = tf.grad((xi: tf.Tensor) => tf.sum(d.apply(xi as tf.Tensor4D, y)))(x);
  const v = g.dataSync();
  assert.ok(v.every(Number.isFinite), 'finite');
  assert.ok(v.some((e) => e !== 0), 'nonzero');
  const err = maxAbs(g, io.get('grad_x')!);
  console.log(`  biggan D d32 input gradient: max abs error ${err.toExponential(2)}`);
  assert.ok(err <= 1e-4, `grad: ${err}`);
  g.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  tf.dispose([x, y]);
  d.dispose();
});

test('a state dict that does not fit fails listing every missing, unexpected and wrongly shaped key', () => {
  const { sd, config } = fixture('d32');
  const bad: StateDict = new Map(sd);
  bad.delete('blocks.1.0.conv2.weight');
  bad.delete('blocks.0.1.theta.u0');
  bad.set('blocks.9.0.conv1.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
  const e = sd.get('embed.weight')!;
  bad.set('embed.weight', { ...e, shape: [e.shape[0]! + 1, e.shape[1]!], data: new Float32Array((e.shape[0]! + 1) * e.shape[1]!) });
  assert.throws(() => bigGANDiscriminatorFromStateDict(bad, { config }), (err: unknown) =>
    err instanceof WeightsError && /2 missing: .*blocks\.1\.0\.conv2\.weight/.test(err.message) && /blocks\.0\.1\.theta\.u0/.test(err.message)
    && /1 unexpected: blocks\.9\.0\.conv1\.weight/.test(err.message) && /embed\.weight: .*\[6,16\]/.test(err.message));
  const noEmbed: StateDict = new Map(sd);
  noEmbed.delete('embed.weight');
  assert.throws(() => inferBigGANDiscriminatorConfig(noEmbed), (err: unknown) => err instanceof WeightsError && /embed\.weight/.test(err.message));
});

test('random D: reference-name round trip through toStateDict reproduces the output; shapes, classes and config are checked', () => {
  const config = decodeOrThrow(BigGANDiscriminatorConfig, { ...BIGGAN_D_PRESETS['biggan-128'], resolution: 64, ch: 4, attention: [16, 4], numClasses: 7 });
  const d = createBigGANDiscriminator(config, new Rng(3));
  const arch = bigganDiscriminatorArch(config);
  assert.deepEqual(arch.map((s) => [s.inChannels, s.outChannels, s.downsample, s.attention]), [[3, 4, true, false], [4, 8, true, true], [8, 16, true, false], [16, 32, true, true], [32, 64, false, true]]);
  const x = tf.randomUniform([2, 64, 64, 3], -1, 1, 'float32', 1) as tf.Tensor4D;
  const out = d.apply(x, [6, 0]);
  assert.deepEqual(out.shape, [2, 1]);
  const sd = toStateDict(bigganDiscriminatorWeightTargets(d.params));
  assert.deepEqual(sd.get('embed.weight')!.shape, [7, 64]);
  assert.deepEqual(sd.get('blocks.4.1.theta.weight')!.shape, [8, 64, 1, 1]);
  assert.deepEqual(sd.get('linear.u0')!.shape, [1, 1]);
  assert.deepEqual(inferBigGANDiscriminatorConfig(sd, { snEps: config.snEps }), config);
  const d2 = bigGANDiscriminatorFromStateDict(sd, { config });
  const out2 = d2.apply(x, [6, 0]);
  assert.deepEqual([...out2.dataSync()], [...out.dataSync()]);
  const { logits, features } = d2.forward(x, [6, 0], true);
  assert.deepEqual(features!['blocks.3']!.shape, [2, 4, 4, 32]);
  assert.deepEqual(features!.pooled!.shape, [2, 64]);
  tf.dispose([logits, ...Object.values(features!)]);
  assert.throws(() => d.apply(x, [7, 0]), ConfigError);
  assert.throws(() => d.apply(x, [1]), ConfigError);
  assert.throws(() => d.apply(tf.zeros([1, 32, 32, 3]) as tf.Tensor4D, [0]), ShapeError);
  assert.throws(() => bigganDiscriminatorArch({ ...config, resolution: 16 } as BigGANDiscriminatorConfig), ConfigError);
  assert.throws(() => createBigGANDiscriminator(decodeOrThrow(BigGANDiscriminatorConfig, { ...config, attention: [32] }), new Rng(0)), (e: unknown) => e instanceof ConfigError && /8 channels/.test(e.message));
  tf.dispose([x, out, out2]);
  d.dispose();
  d2.dispose();
});
