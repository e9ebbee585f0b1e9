import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { ConfigError, WeightsError } from '../../../src/core/errors.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import {
  decodePartGeneratorConfig, extendedGrid, gaussianHeatmaps, gaussianTau, GANSEG_PRESETS, keypointsToPixels, linearHeatmaps, linearTau,
  PartGenerator, type GanSegPresetName, areaPenalty, centerPenalty, type PartGeneratorConfig, type PartGeneratorInputs, type PartGeneratorOutput,
} from '../../../src/methods/ganseg/index.ts';
import { readFixture, tensor, nhwc, stateDict, maxAbsDiff, type Fixture } from '../../nn/fixture.ts';

// Fixtures written by tools/parity/ganseg.py from the official models/generator.py and models/heatmaps.py.
const L = readFixture('test/fixtures/ganseg/linear');
const G = readFixture('test/fixtures/ganseg/gauss');

// Every check is against the official code's fixture unless its name says otherwise.
const check = (name: string, got: tf.Tensor, want: tf.Tensor, tol = 1e-4): void => {
  const e = maxAbsDiff(got, want);
  const bound = tol * Math.max(1, tf.tidy(() => tf.moments(want).variance.sqrt().dataSync()[0] as number));
  console.log(`  ${name}: max abs error ${e.toExponential(2)} (bound ${bound.toExponential(1)})`);
  assert.ok(e <= bound, `${name}: max abs error ${e} > ${bound}`);
};

const configOf = (f: Fixture, o: { parts: number; per: number; sizes: number[]; channels: number[]; linear: boolean; single: boolean }): PartGeneratorConfig => {
  const r = decodePartGeneratorConfig({
    zDim: (f.get('in.input_noise0')?.shape[1]) as number, parts: o.parts, pointsPerPart: o.per, embeddingDim: 8,
    featureMapSizes: o.sizes, featureMapChannels: o.channels, singleFinal: o.single, useLinear: o.linear,
    imageSize: o.sizes[o.sizes.length - 1], spadeHidden: 16,
  });
  if (r._tag === 'Left') throw r.left;
  return r.right;
};
const LCFG = { parts: 3, per: 4, sizes: [8, 8, 16], channels: [16, 12, 8], linear: true, single: false };
const GCFG = { parts: 2, per: 3, sizes: [8, 16], channels: [12, 8], linear: false, single: true };

const inputsOf = (f: Fixture): PartGeneratorInputs => ({
  zPoint: tensor(f, 'in.input_noise0') as tf.Tensor2D,
  zBackground: tensor(f, 'in.input_noise1') as tf.Tensor2D,
  zParts: tensor(f, 'in.input_noise2') as tf.Tensor2D,
  bgTranslation: tensor(f, 'in.bg_trans').reshape([-1, 2]) as tf.Tensor2D,
});

/** Official mask [N,K+1,S,S] (parts, then background) → ours [N,S,S,K+1] (background first). */
const oursFromOfficial = (f: Fixture, key: string, k: number): tf.Tensor4D => tf.tidy(() => {
  const m = nhwc(f, key);
  return tf.concat([m.slice([0, 0, 0, k], [-1, -1, -1, 1]), m.slice([0, 0, 0, 0], [-1, -1, -1, k])], 3) as tf.Tensor4D;
});

const compare = (label: string, f: Fixture, prefix: string, out: PartGeneratorOutput, k: number): void => {
  check(`${label} points`, out.points, tensor(f, `${prefix}.points`));
  check(`${label} keypoints`, out.keypoints, tensor(f, `${prefix}.keypoints`));
  check(`${label} part embeddings`, out.partEmbeddings, tensor(f, `${prefix}.kp_emb`));
  check(`${label} heatmaps (init_mask)`, out.heatmaps, nhwc(f, `${prefix}.init_mask`));
  check(`${label} masks [N,S,S,K+1]`, out.masks, oursFromOfficial(f, `${prefix}.mask`, k));
  check(`${label} foreground`, out.foreground, nhwc(f, `${prefix}.fg`));
  check(`${label} background`, out.background, nhwc(f, `${prefix}.bg`));
  check(`${label} image`, out.image, nhwc(f, `${prefix}.img`));
  const sums = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.sum(out.masks, 3), 1))).dataSync()[0] as number);
  assert.ok(sums < 1e-5, `${label}: masks sum to 1 over channels (off by ${sums})`);
};

const load = (f: Fixture, cfg: PartGeneratorConfig): PartGenerator => {
  const g = PartGenerator.create(cfg, new Rng(0));
  g.loadStateDict(stateDict(f, 'sd.'), 'fixture generator');
  return g;
};

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

for (const [name, f, o] of [['linear (use_linear=1, sizes 8,8,16, two-conv final)', L, LCFG], ['gauss (use_linear=0, sizes 8,16, single final)', G, GCFG]] as const) {
  test(`${name}: eval-mode then train-mode forward match the official code; running statistics updated as PyTorch`, () => {
    const g = load(f, configOf(f, o));
    const n0 = tf.memory().numTensors;
    tf.tidy(() => {
      const inputs = inputsOf(f);
      compare('eval', f, 'eval', g.forward(inputs, { training: false }), o.parts);
      const out = g.forward(inputs, { training: true });
      compare('train', f, 'train', out, o.parts);
      check('center penalty', centerPenalty(out.masks, out.keypoints), tensor(f, 'train.center_penalty').reshape([]));
      check('area penalty', areaPenalty(out.masks, out.points, out.keypoints, o.sizes[o.sizes.length - 1] as number), tensor(f, 'train.area_penalty').reshape([]));
    });
    assert.equal(tf.memory().numTensors, n0, 'no tensor leaks');
    const sd = g.stateDict();
    const after = stateDict(f, 'after.');
    for (const [k, want] of after) {
      const got = sd.get(k);
      assert.ok(got, k);
      const e = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - (want.data[i] as number))));
      assert.ok(e <= 1e-4, `${k} after a train-mode forward: error ${e}`);
    }
    g.dispose();
  });
}

test('heatmap functions alone (gen_heatmaps_linear_extend, gen_heatmaps_extend, τ) match the official code: 1e-6 (Gaussian: 2e-8/τ_min, float32 cancellation)', () => {
  tf.tidy(() => {
    // Our grid follows PyTorch's CUDA linspace; the fixture's CPU (AVX-512) kernel differs by 1 ulp at
    // entries 14 and 15 of the 28, where its 16-lane chunk runs past the halfway index.
    const grid = extendedGrid(8, 10).expandDims(0), refGrid = tensor(L, 'sd.init_extend_coord');
    const off = tf.notEqual(grid, refGrid).reshape([28, 28, 2]).any(2).dataSync();
    const rowsOff = new Set<number>(), colsOff = new Set<number>();
    off.forEach((v, i) => { if (v) { rowsOff.add(Math.floor(i / 28)); colsOff.add(i % 28); } });
    assert.ok([...rowsOff].every((r) => r === 14 || r === 15 || colsOff.has(14) || colsOff.has(15)), `grid differs at rows ${[...rowsOff]}`);
    assert.ok(maxAbsDiff(grid, refGrid) <= 2.4e-7, 'init_extend_coord within 1 ulp');
    const kp = tensor(L, 'eval.keypoints') as tf.Tensor3D, pts = tensor(L, 'eval.points') as tf.Tensor3D;
    const tl = linearTau(pts, kp), tg = gaussianTau(pts, kp);
    check('linear τ (mean |offset|)', tl, tensor(L, 'heat.tau_linear').reshape([3, 3]), 1e-6);
    check('Gaussian τ (unbiased variance)', tg, tensor(L, 'heat.tau_gauss').reshape([3, 3]), 1e-6);
    // The functions on the official grid (init_extend_coord is the size-8 extended grid):
    const ref = refGrid.reshape([-1, 2]) as tf.Tensor2D;
    check('linear heatmaps [3,28,28,3]', linearHeatmaps(kp, tl, 8, 10, ref), nhwc(L, 'heat.linear'), 1e-6);
    // The official squared distance |x|² + |p|² − 2x·p cancels in float32 (~1e-8 absolute, summation
    // order differs between backends); exp(−d/τ) then scales that by 1/τ, and τ (a variance) is small:
    const tauMin = tg.min().dataSync()[0] as number;
    console.log(`  Gaussian τ min ${tauMin.toExponential(2)}`);
    check('Gaussian heatmaps [3,28,28,3]', gaussianHeatmaps(kp, tg, 8, 10, ref), nhwc(L, 'heat.gauss'), Math.max(1e-6, 2e-8 / tauMin));
    // On our grid: 1 − ‖p − x‖/τ and exp(−‖p − x‖²/τ) amplify the 1-ulp grid difference by ~1/τ.
    check('Gaussian heatmaps, our grid', gaussianHeatmaps(kp, tg, 8, 10), nhwc(L, 'heat.gauss'), 3e-6);
    check('linear heatmaps, our grid', linearHeatmaps(kp, tl, 8, 10), nhwc(L, 'heat.linear'), 3e-6);
  });
});

test('area penalty: π·(τ·S/2)² per part when the masks are empty (the fixtures\' masks are larger: official value 0)', () => {
  tf.tidy(() => {
    const kp = tensor(L, 'eval.keypoints') as tf.Tensor3D, pts = tensor(L, 'eval.points') as tf.Tensor3D;
    const empty = tf.concat([tf.ones([3, 16, 16, 1]), tf.zeros([3, 16, 16, 3])], 3) as tf.Tensor4D;
    const tau = tf.sub(linearTau(pts, kp), 1e-6);
    const want = tf.div(tf.sum(tf.mul(tf.square(tf.mul(tau, 8)), Math.PI)), 3);
    check('area penalty, empty masks', areaPenalty(empty, pts, kp, 16), want);
    check('area penalty, smaller_init_mask', areaPenalty(empty, pts, kp, 16, tf.ones([3, 16, 16, 3])), tf.scalar(3 * 256));
  });
});

test('keypoints(z) are the forward pass keypoints; pixels as train_gan.py plots them', () => {
  const g = load(L, configOf(L, LCFG));
  tf.tidy(() => {
    const kp = g.keypoints(tensor(L, 'in.input_noise0') as tf.Tensor2D);
    check('keypoints(z)', kp, tensor(L, 'eval.keypoints'));
    const px = keypointsToPixels(tf.tensor3d([[[-1, 1]]]), 16).dataSync();
    assert.deepEqual(Array.from(px), [0, 15]);
  });
  g.dispose();
});

test('state dict: official keys round trip; DataParallel prefix; wrong dicts list missing/unexpected/misshaped keys', () => {
  const cfg = configOf(L, LCFG);
  const g = load(L, cfg);
  const ref = stateDict(L, 'sd.');
  const sd = g.stateDict();
  assert.deepEqual([...sd.keys()].sort(), [...ref.keys()].sort());
  for (const [k, v] of sd) assert.ok(v.data.every((x, i) => x === ref.get(k)?.data[i]), `${k} round trip`);
  const other = PartGenerator.create(cfg, new Rng(3));
  other.loadStateDict(new Map([...ref].map(([k, v]) => [`module.${k}`, v])), 'ddp');
  tf.tidy(() => assert.equal(maxAbsDiff(other.forward(inputsOf(L), { training: false }).image, g.forward(inputsOf(L), { training: false }).image), 0));
  const bad: StateDict = new Map(ref);
  bad.delete('spade_blocks.1.conv2.bias');
  bad.set('spade_blocks.9.conv1.weight', ref.get('spade_blocks.1.conv1.weight') as never);
  bad.set('gen_keypoints_layer.4.weight', ref.get('gen_keypoints_layer.3.model.0.weight') as never); // [16,16] where [24,16] is wanted
  const before = other.stateDict();
  assert.throws(() => other.loadStateDict(bad, 'bad.model'), (e: unknown) =>
    e instanceof WeightsError && /bad\.model/.test(e.message) && /missing: spade_blocks\.1\.conv2\.bias/.test(e.message) &&
    /unexpected: spade_blocks\.9\.conv1\.weight/.test(e.message) && /gen_keypoints_layer\.4\.weight/.test(e.message));
  const after = other.stateDict();
  for (const [k, v] of before) assert.ok(v.data.every((x, i) => x === after.get(k)?.data[i]), `${k} untouched`);
  other.dispose();
  g.dispose();
});

test('config: presets from log/gan_*, partial configs decode, broken constraints are ConfigErrors', () => {
  assert.deepEqual(GANSEG_PRESETS.gan_cub_k8.featureMapSizes, [32, 32, 64, 64, 128, 128]);
  assert.equal(GANSEG_PRESETS.gan_flower_k8.singleFinal, true);
  assert.equal(GANSEG_PRESETS.gan_taichi_k10.parts, 10);
  assert.ok(Object.values(GANSEG_PRESETS).every((c) => c.useLinear && c.embeddingDim === 64 && c.pointDivisor === 20 && c.extendPixels === 10));
  const ok = decodePartGeneratorConfig({ featureMapSizes: [16, 32, 64], featureMapChannels: [128, 64, 32], imageSize: 64 }, 'gan_celeba_wild_k8');
  assert.ok(ok._tag === 'Right' && ok.right.parts === 8);
  const bad = decodePartGeneratorConfig({ featureMapSizes: [16, 48], featureMapChannels: [127], imageSize: 32, parts: 0 });
  assert.ok(bad._tag === 'Left' && bad.left instanceof ConfigError);
  assert.ok(bad._tag === 'Left' && bad.left.issues.some((i) => i.path === 'parts'));
  const bad2 = decodePartGeneratorConfig({ featureMapSizes: [16, 48], featureMapChannels: [127], imageSize: 32 });
  assert.ok(bad2._tag === 'Left' && ['featureMapChannels', 'featureMapSizes.1', 'imageSize', 'featureMapChannels.0'].every((p) => bad2.left.issues.some((i) => i.path === p)));
});

test('presets build the released generators: every official key of log/gan_<name> with its shape', () => {
  const released = JSON.parse(readFileSync('test/fixtures/ganseg/released-keys.json', 'utf8')) as Record<string, Record<string, number[]>>;
  for (const [name, keys] of Object.entries(released)) {
    const g = PartGenerator.create(GANSEG_PRESETS[name as GanSegPresetName], new Rng(0));
    const ours = new Map([...g.weightTargets()].map(([k, t]) => [k, tf.tidy(() => (t.toStored ? t.toStored(t.variable) : t.variable).shape)]));
    assert.deepEqual([...ours.keys()].sort(), Object.keys(keys).sort(), `${name}: key set`);
    for (const [k, shape] of Object.entries(keys)) assert.deepEqual(ours.get(k), shape, `${name}: ${k}`);
    console.log(`  ${name}: ${ours.size} keys, ${g.variables().reduce((a, v) => a + v.size, 0)} trainable parameters`);
    g.dispose();
  }
});
