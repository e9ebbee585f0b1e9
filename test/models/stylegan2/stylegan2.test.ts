import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { loadAddon } from '../../../src/backend/native/addon.ts';
import { Rng } from '../../../src/core/rng.ts';
import { ConfigError, WeightsError } from '../../../src/core/errors.ts';
import { decodeOrThrow } from '../../../src/core/codec.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import {
  StyleGAN2Config, STYLEGAN2_DEFAULTS, styleGAN2Preset, channelsOf, createStyleGAN2Generator, createStyleGAN2Discriminator,
  inferStyleGAN2Config, loadGeneratorStateDict, generatorStateDict, loadDiscriminatorStateDict, discriminatorStateDict, discriminatorWeightTargets, generatorWeightTargets,
  type StyleGAN2Generator, type StyleGAN2Discriminator,
} from '../../../src/models/stylegan2/index.ts';
import { readFixture, tensor, nhwc, stateDict, maxAbsDiff } from '../../nn/fixture.ts';

const G = readFixture('test/fixtures/stylegan2/generator');
const D = readFixture('test/fixtures/stylegan2/discriminator');
const TOL = 1e-4;
let g: StyleGAN2Generator;
let d: StyleGAN2Discriminator;

const report = (name: string, e: number): void => {
  console.log(`  ${name}: max abs error vs PyTorch ${e.toExponential(2)}`);
  assert.ok(e <= TOL, `${name}: max abs error ${e} > ${TOL}`);
};

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
  const sd = stateDict(G, 'sd.');
  g = createStyleGAN2Generator(inferStyleGAN2Config(sd), new Rng(0));
  loadGeneratorStateDict(g, sd, 'fixture generator');
  const dcfg = decodeOrThrow(StyleGAN2Config, { ...STYLEGAN2_DEFAULTS, resolution: 32, channels: [16, 16, 8, 8] });
  d = createStyleGAN2Discriminator(dcfg, new Rng(0));
  loadDiscriminatorStateDict(d, stateDict(D, 'sd.'), 'fixture discriminator');
});

test('inferStyleGAN2Config reads resolution, style dim, n_mlp and the narrow channel table from shapes', () => {
  const cfg = inferStyleGAN2Config(stateDict(G, 'sd.'));
  assert.equal(cfg.resolution, 32);
  assert.equal(cfg.styleDim, 64);
  assert.equal(cfg.nMlp, 2);
  assert.deepEqual(cfg.channels, [32, 32, 16, 8]);
  assert.equal(g.nLatent, 8);
});

test('config: presets decode, channel table follows rosinality, bad fields are a ConfigError', () => {
  const ffhq = styleGAN2Preset('rosinality-ffhq-256');
  assert.deepEqual(channelsOf(ffhq), [512, 512, 512, 512, 512, 256, 128]);
  assert.deepEqual(channelsOf(styleGAN2Preset('small-64')), [512, 512, 512, 512, 256]);
  assert.deepEqual(channelsOf(styleGAN2Preset('rosinality-ffhq-1024')), [512, 512, 512, 512, 512, 256, 128, 64, 32]);
  assert.throws(() => decodeOrThrow(StyleGAN2Config, { ...STYLEGAN2_DEFAULTS, resolution: 100, nMlp: 0 }), (e: unknown) =>
    e instanceof ConfigError && e.issues.length === 2);
  assert.throws(() => channelsOf({ ...ffhq, channels: [4, 4] as never }), ConfigError);
});

test('generator G(z) 32×32 n_mlp=2 style 64 (stored noise) matches PyTorch', () => {
  tf.tidy(() => {
    const w = g.mapToW(tensor(G, 'z') as tf.Tensor2D);
    report('mapping z→w', maxAbsDiff(w, tensor(G, 'w')));
    const { images } = g.synthesize(tensor(G, 'z') as tf.Tensor2D);
    assert.deepEqual(images.shape, [3, 32, 32, 3]);
    report('G(z)', maxAbsDiff(images, nhwc(G, 'images')));
  });
});

test('generator with truncation 0.7 toward the mean W matches PyTorch', () => {
  tf.tidy(() => {
    g.setMeanW(tensor(G, 'mean_w') as tf.Tensor1D);
    report('G(z, ψ=0.7)', maxAbsDiff(g.synthesize(tensor(G, 'z') as tf.Tensor2D, { truncation: 0.7 }).images, nhwc(G, 'images_trunc07')));
  });
});

test('generator with W input and with W+ input matches PyTorch', () => {
  tf.tidy(() => {
    report('G(w, inputIsW)', maxAbsDiff(g.synthesize(tensor(G, 'w_in') as tf.Tensor2D, { inputIsW: true }).images, nhwc(G, 'images_w')));
    report('G(W+)', maxAbsDiff(g.synthesizeWPlus(tensor(G, 'w_plus') as tf.Tensor3D).images, nhwc(G, 'images_wplus')));
  });
});

test('discriminator 32×32 batch 8 (stddev group 4) matches PyTorch logits and leaks nothing', () => {
  tf.tidy(() => report('D(x)', maxAbsDiff(d.apply(nhwc(D, 'x')), tensor(D, 'logits'))));
  const x = nhwc(D, 'x'), before = tf.memory().numTensors;
  d.apply(x).dispose();
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});

test('synthesize inside tidy leaves numTensors flat; features res4…res32 when asked', () => {
  const z = tensor(G, 'z') as tf.Tensor2D;
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    const r = g.synthesize(z, { returnFeatures: true, truncation: 0.5 });
    assert.deepEqual(Object.keys(r.features ?? {}), ['res4', 'res8', 'res16', 'res32']);
    assert.deepEqual(r.features?.res16?.shape, [3, 16, 16, 16]);
  });
  g.synthesize(z).images.dispose();
  assert.equal(tf.memory().numTensors, before);
  z.dispose();
});

test("noise 'random' is seeded by the Rng, differs from stored noise, and needs an rng", () => {
  tf.tidy(() => {
    const z = tensor(G, 'z') as tf.Tensor2D;
    const a = g.synthesize(z, { noise: 'random', rng: new Rng(3) }).images;
    const b = g.synthesize(z, { noise: 'random', rng: new Rng(3) }).images;
    assert.equal(maxAbsDiff(a, b), 0);
    assert.ok(maxAbsDiff(a, nhwc(G, 'images')) > 1e-3);
    assert.throws(() => g.synthesize(z, { noise: 'random' }), ConfigError);
  });
});

test('meanW is estimated deterministically from seeded samples and sampleLatent is seeded', () => {
  const g2 = createStyleGAN2Generator(styleGAN2Preset('rosinality-ffhq-256', { resolution: 8, styleDim: 8, nMlp: 2, channels: [4, 4], meanWSamples: 300 }), new Rng(1));
  tf.tidy(() => {
    assert.equal(maxAbsDiff(g2.meanW(), g2.meanW()), 0);
    const m = g2.meanW(), direct = tf.mean(g2.mapToW(g2.sampleLatent(300, new Rng('stylegan2/meanW'))), 0);
    assert.ok(maxAbsDiff(m, direct) < 1e-5);
    assert.equal(maxAbsDiff(g2.sampleLatent(2, new Rng(5)), g2.sampleLatent(2, new Rng(5))), 0);
  });
  g2.dispose();
});

test('state dict round trip: generatorStateDict gives back every rosinality key with the same values', () => {
  const sd = stateDict(G, 'sd.');
  const out = generatorStateDict(g);
  assert.deepEqual([...out.keys()].sort(), [...sd.keys()].sort());
  for (const [k, t] of sd) {
    const o = out.get(k);
    assert.deepEqual(o?.shape, t.shape, k);
    const err = Math.max(...Array.from(t.data as Float32Array, (v, i) => Math.abs(v - ((o?.data as Float32Array)[i] as number))));
    assert.ok(err < 1e-6, `${k}: ${err}`);
  }
  const dsd = discriminatorStateDict(d);
  assert.deepEqual([...dsd.keys()].sort(), [...stateDict(D, 'sd.').keys()].sort());
});

test('a state dict that does not fit lists missing, unexpected and wrongly-shaped keys and changes nothing', () => {
  const sd: StateDict = new Map(stateDict(G, 'sd.'));
  sd.delete('style.2.bias');
  sd.set('style.9.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
  sd.set('conv1.conv.weight', { dtype: 'float32', shape: [1, 32, 32, 1, 1], data: new Float32Array(32 * 32) });
  sd.set('input.input', { dtype: 'float32', shape: [1, 32, 4, 4], data: new Float32Array(512).fill(7) });
  const before = g.params.input.input.dataSync().slice();
  assert.throws(() => loadGeneratorStateDict(g, sd, 'bad.pt'), (e: unknown) => {
    assert.ok(e instanceof WeightsError);
    assert.match(e.message, /^bad\.pt: /);
    assert.match(e.message, /missing: style\.2\.bias/);
    assert.match(e.message, /unexpected: style\.9\.weight/);
    assert.match(e.message, /conv1\.conv\.weight/);
    return true;
  });
  assert.deepEqual(g.params.input.input.dataSync(), before);
});

test('D backward: ∂ΣD(x)/∂x and the R1 value match PyTorch (cpu backend, batch 4)', async () => {
  await initBackend({ backend: 'cpu', ignoreEnv: true });
  try {
    tf.tidy(() => {
      const x = nhwc(D, 'x').slice([0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D;
      const grad = tf.grad((xi: tf.Tensor) => tf.sum(d.apply(xi as tf.Tensor4D)))(x);
      report('∂D/∂x', maxAbsDiff(grad, nhwc(D, 'grad_x4')));
      const r1 = tf.mean(tf.sum(tf.square(grad).reshape([4, -1]), 1));
      const want = tensor(D, 'r1_x4').dataSync()[0] as number;
      report('R1 (relative)', Math.abs((r1.dataSync()[0] as number) - want) / want);
    });
  } finally {
    await initBackend({ backend: 'wasm', ignoreEnv: true });
  }
});

const nativeBuilt = loadAddon().ok;
for (const backend of ['wasm', 'cpu', 'native'] as const) {
  test(`D R1 second order on ${backend}: ∂R1/∂θ for 4 parameters matches PyTorch (batch 4)`, { skip: backend === 'native' && !nativeBuilt ? 'native addon not built' : false }, async () => {
    await initBackend({ backend, ignoreEnv: true });
    try {
      const targets = discriminatorWeightTargets(d);
      const names = ['convs.0.0.weight', 'convs.1.conv2.1.weight', 'final_conv.1.bias', 'final_linear.0.weight'];
      const vars = names.map((n) => targets.get(n)?.variable as tf.Variable);
      tf.tidy(() => {
        const x = nhwc(D, 'x').slice([0, 0, 0, 0], [4, -1, -1, -1]) as tf.Tensor4D;
        const { value, grads } = tf.variableGrads(() => {
          const gx = tf.grad((xi: tf.Tensor) => tf.sum(d.apply(xi as tf.Tensor4D)))(x);
          return tf.mean(tf.sum(tf.square(gx).reshape([4, -1]), 1)) as tf.Scalar;
        }, vars);
        const want = tensor(D, 'r1_x4').dataSync()[0] as number;
        report(`R1 value (${backend}, relative)`, Math.abs((value.dataSync()[0] as number) - want) / want);
        names.forEach((n, i) => {
          const t = targets.get(n);
          const gr = grads[(vars[i] as tf.Variable).name] as tf.Tensor;
          const stored = t?.toStored ? t.toStored(gr) : gr;
          const ref = tensor(D, `r1_grad.${n}`);
          const scale = tf.max(tf.abs(ref)).dataSync()[0] as number;
          const err = maxAbsDiff(stored.reshape(ref.shape), ref);
          report(`∂R1/∂${n} (${backend}, ${scale > 0 ? "relative to max |ref|" : "absolute, ref = 0"})`, scale > 0 ? err / scale : err);
        });
      });
    } finally {
      await initBackend({ backend: 'wasm', ignoreEnv: true });
    }
  });
}

for (const backend of ['wasm', 'native'] as const) {
  test(`G backward on ${backend}: G(z) and ∂Σ(G(z)·r)/∂θ for 5 parameters match PyTorch`, { skip: backend === 'native' && !nativeBuilt ? 'native addon not built' : false }, async () => {
    await initBackend({ backend, ignoreEnv: true });
    try {
      const targets = generatorWeightTargets(g);
      const names = ['style.1.weight', 'input.input', 'convs.0.conv.weight', 'convs.3.noise.weight', 'to_rgbs.1.conv.modulation.weight'];
      const vars = names.map((n) => targets.get(n)?.variable as tf.Variable);
      tf.tidy(() => {
        const z = tensor(G, 'z') as tf.Tensor2D, r = nhwc(G, 'grad.r');
        report(`G(z) (${backend})`, maxAbsDiff(g.synthesize(z).images, nhwc(G, 'images')));
        const { grads } = tf.variableGrads(() => tf.sum(tf.mul(g.synthesize(z).images, r)) as tf.Scalar, vars);
        names.forEach((n, i) => {
          const t = targets.get(n);
          const gr = grads[(vars[i] as tf.Variable).name] as tf.Tensor;
          const ref = tensor(G, `grad.${n}`);
          const scale = tf.max(tf.abs(ref)).dataSync()[0] as number;
          report(`∂/∂${n} (${backend}, relative to max |ref|)`, maxAbsDiff((t?.toStored ? t.toStored(gr) : gr).reshape(ref.shape), ref) / scale);
        });
      });
    } finally {
      await initBackend({ backend: 'wasm', ignoreEnv: true });
    }
  });
}
