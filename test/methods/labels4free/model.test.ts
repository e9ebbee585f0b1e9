import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { WeightsError } from '../../../src/core/errors.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import { createStyleGAN2Generator, inferStyleGAN2Config, loadGeneratorStateDict, type StyleGAN2Generator } from '../../../src/models/stylegan2/index.ts';
import { AlphaBranch, alphaBranchDefaults, compose, decodeAlphaBranchConfig } from '../../../src/methods/labels4free/index.ts';
import { readFixture, tensor, nhwc, stateDict, maxAbsDiff, type Fixture } from '../../nn/fixture.ts';

// Fixtures written by tools/parity/labels4free.py from the official model_new.py.
const S = readFixture('test/fixtures/labels4free/small64');
const B = readFixture('test/fixtures/labels4free/repro256');
const TOL = 1e-4;

const report = (name: string, e: number): void => {
  console.log(`  ${name}: max abs error vs official code ${e.toExponential(2)}`);
  assert.ok(e <= TOL, `${name}: max abs error ${e} > ${TOL}`);
};

const loadG = (f: Fixture, zeroNoise: readonly number[] = []): StyleGAN2Generator => {
  const sd = stateDict(f, 'g.');
  for (const i of zeroNoise) {
    const r = 2 ** Math.floor((i + 5) / 2);
    sd.set(`noises.noise_${i}`, { dtype: 'float32', shape: [1, 1, r, r], data: new Float32Array(r * r) });
  }
  const g = createStyleGAN2Generator(inferStyleGAN2Config(sd), new Rng(0));
  loadGeneratorStateDict(g, sd, 'fixture generator');
  const m = tensor(f, 'mean_latent').reshape([-1]) as tf.Tensor1D;
  g.setMeanW(m);
  m.dispose();
  return g;
};

let g64: StyleGAN2Generator;
let branch: AlphaBranch;

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
  g64 = loadG(S);
  branch = AlphaBranch.create(g64, new Rng(0), { ...alphaBranchDefaults(64), trainTruncation: 0.7 as never });
  branch.loadStateDict(stateDict(S, 'a.'), 'fixture alpha net');
});

test('config: reference settings per resolution, partial configs decode, bad fields are reported', () => {
  assert.equal(alphaBranchDefaults(256).featureFrom, 8);
  assert.equal(alphaBranchDefaults(512).featureFrom, 16);
  assert.equal(alphaBranchDefaults(1024).featureFrom, 32);
  assert.equal(alphaBranchDefaults(64).featureFrom, 8);
  assert.equal(alphaBranchDefaults(512).backgroundZero, 'constantInput');
  assert.equal(alphaBranchDefaults(256).backgroundZero, 'conv1Output');
  assert.equal(alphaBranchDefaults(64).maskThreshold, 0.9);
  const ok = decodeAlphaBranchConfig(256, { trainTruncation: 0.5 });
  assert.ok(ok._tag === 'Right' && ok.right.trainTruncation === 0.5 && ok.right.sampleTruncation === 0.5);
  const bad = decodeAlphaBranchConfig(256, { featureFrom: 12, backgroundZero: 'input' });
  assert.ok(bad._tag === 'Left' && bad.left.issues.length === 2);
});

test("64² train.py latents (fg ψ 0.7, bg same z ψ 1, conv1 output zeroed): fg, bg, α, composite match the official code", () => {
  tf.tidy(() => {
    const l = branch.layers(tensor(S, 'z') as tf.Tensor2D);
    report('train fg [2,64,64,3]', maxAbsDiff(l.foreground, nhwc(S, 'train.fg')));
    report('train bg', maxAbsDiff(l.background, nhwc(S, 'train.bg')));
    report('train alpha', maxAbsDiff(l.alpha, nhwc(S, 'train.alpha')));
    report('train composite', maxAbsDiff(l.composite, nhwc(S, 'train.composite')));
    assert.equal(l.mask, undefined);
    report('foreground(z)', maxAbsDiff(branch.foreground(tensor(S, 'z') as tf.Tensor2D), nhwc(S, 'train.fg')));
    report('background(z)', maxAbsDiff(branch.background(tensor(S, 'z') as tf.Tensor2D), nhwc(S, 'train.bg')));
    report('alpha(z)', maxAbsDiff(branch.alpha(tensor(S, 'z') as tf.Tensor2D), nhwc(S, 'train.alpha')));
  });
});

test('64² test_sample.py latents (separate z2, both ψ 0.5, mask α > 0.9) match the official code', () => {
  tf.tidy(() => {
    const l = branch.layers(tensor(S, 'z') as tf.Tensor2D, { latents: 'sample', zBackground: tensor(S, 'z2') as tf.Tensor2D });
    report('sample fg', maxAbsDiff(l.foreground, nhwc(S, 'sample.fg')));
    report('sample bg', maxAbsDiff(l.background, nhwc(S, 'sample.bg')));
    report('sample alpha', maxAbsDiff(l.alpha, nhwc(S, 'sample.alpha')));
    const refAlpha = nhwc(S, 'sample.alpha');
    report('sample composite', maxAbsDiff(l.composite, compose(nhwc(S, 'sample.fg'), nhwc(S, 'sample.bg'), refAlpha)));
    const want = tf.cast(tf.greater(refAlpha, 0.9), 'float32');
    const near = tf.less(tf.abs(tf.sub(refAlpha, 0.9)), TOL);
    const wrong = tf.logicalAnd(tf.notEqual(l.mask as tf.Tensor, want), tf.logicalNot(near));
    assert.equal(tf.sum(tf.cast(wrong, 'int32')).dataSync()[0], 0);
  });
  assert.throws(() => branch.layers(tf.zeros([1, 16]), { latents: 'sample' }), /zBackground/);
});

test("64² background with the 512² rule ('constantInput': constant zeroed, conv1 still acts) matches the official code", () => {
  const b512 = AlphaBranch.create(g64, new Rng(1), { ...alphaBranchDefaults(64), backgroundZero: 'constantInput' });
  tf.tidy(() => report('bg (constant input zeroed)', maxAbsDiff(b512.background(tensor(S, 'z') as tf.Tensor2D), nhwc(S, 'bg512'))));
  b512.dispose();
});

test('256² bg_extractor_repro (official key names, res_idx 1, min_res 8): α and composite match the official code', () => {
  const g = loadG(B, [9, 10, 11, 12]);
  const b = AlphaBranch.create(g, new Rng(0));
  assert.equal(b.firstConv, 0);
  b.loadStateDict(stateDict(B, 'a.'), 'fixture repro alpha net');
  assert.equal(b.params.merges.length, 4);
  tf.tidy(() => {
    const z = tensor(B, 'z') as tf.Tensor2D;
    const l = b.layers(z);
    assert.equal(l.foreground.shape[1], 256); // default trainTruncation 1: the fixture used 0.7
    const fg = b.foreground(z, 0.7), bg = b.background(z), alpha = b.alpha(z, 0.7);
    report('repro256 alpha [1,256,256,1]', maxAbsDiff(alpha, nhwc(B, 'train.alpha')));
    report('repro256 composite [1,256,256,3]', maxAbsDiff(compose(fg, bg, alpha), nhwc(B, 'train.composite')));
  });
  b.dispose();
  g.dispose();
});

test('state dict: round trip, DDP module. prefix, wrong dicts list missing/unexpected/misshaped keys', () => {
  const sd = branch.stateDict();
  const ref = stateDict(S, 'a.');
  assert.deepEqual([...sd.keys()].sort(), [...ref.keys()].sort());
  for (const [k, v] of sd) {
    const r = ref.get(k);
    assert.deepEqual(v.shape, r?.shape, k);
    assert.ok(v.data.every((x, i) => x === r?.data[i]), `${k} round trip`);
  }
  const other = AlphaBranch.create(g64, new Rng(5));
  const ddp: StateDict = new Map([...ref].map(([k, v]) => [`module.${k}`, v]));
  other.loadStateDict(ddp, 'ddp');
  tf.tidy(() => {
    const z = tensor(S, 'z') as tf.Tensor2D;
    assert.equal(maxAbsDiff(other.alpha(z, 0.7), branch.alpha(z, 0.7)), 0);
  });
  const bad: StateDict = new Map(ref);
  bad.delete('conv_next2.bias');
  bad.set('conv_next3.weight', ref.get('conv_next.weight') as never);
  bad.set('conv1.weight', ref.get('conv3.weight') as never); // [3,12,1,1] where [3,16,1,1] is wanted
  const before = other.stateDict();
  assert.throws(() => other.loadStateDict(bad, 'bad.pt'), (e: unknown) =>
    e instanceof WeightsError && /bad\.pt/.test(e.message) && /missing: conv_next2\.bias/.test(e.message) &&
    /unexpected: conv_next3\.weight/.test(e.message) && /conv1\.weight/.test(e.message));
  const after = other.stateDict();
  for (const [k, v] of before) assert.ok(v.data.every((x, i) => x === after.get(k)?.data[i]), `${k} untouched`);
  other.dispose();
});

test('only the alpha net trains: its variables are trainable, the generator is frozen, gradients reach only α', () => {
  const own = branch.trainableVariables();
  assert.equal(own.length, 2 * (8 + 2 + 1));
  assert.ok(own.every((v) => v.trainable));
  assert.ok(g64.variables().every((v) => !v.trainable));
  const z = tensor(S, 'z') as tf.Tensor2D;
  const { grads, value } = tf.variableGrads(() => tf.mean(branch.layers(z).composite) as tf.Scalar);
  const names = new Set(own.map((v) => v.name));
  assert.ok(Object.keys(grads).length === own.length && Object.keys(grads).every((n) => names.has(n)));
  assert.ok(Object.values(grads).some((gr) => tf.tidy(() => tf.max(tf.abs(gr)).dataSync()[0] as number) > 0));
  tf.dispose([grads, value, z]);
});

test('no tensor leaks: layers, foreground, background, alpha, create/dispose', () => {
  const z = tensor(S, 'z') as tf.Tensor2D, z2 = tensor(S, 'z2') as tf.Tensor2D;
  const n0 = tf.memory().numTensors;
  const l = branch.layers(z, { latents: 'sample', zBackground: z2 });
  tf.dispose(l as unknown as tf.TensorContainer);
  tf.dispose([branch.foreground(z), branch.background(z), branch.alpha(z)]);
  tf.dispose(branch.layers(z, { noise: 'random', rng: new Rng(3) }) as unknown as tf.TensorContainer);
  AlphaBranch.create(g64, new Rng(9)).dispose();
  assert.equal(tf.memory().numTensors, n0);
  tf.dispose([z, z2]);
});
