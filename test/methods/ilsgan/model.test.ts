import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { WeightsError } from '../../../src/core/errors.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import {
  ILSGAN_64, LayeredGenerator, decodeLayeredGeneratorConfig, foregroundOnBlack, foregroundOnWhite, roundHalfToEven,
  shiftImages, shiftPixels, synthesisChannels, type LayeredGeneratorConfig, type Layers,
} from '../../../src/methods/ilsgan/index.ts';
import { readFixture, tensor, nhwc, stateDict, maxAbsDiff } from '../../nn/fixture.ts';

// Fixture written by tools/parity/ilsgan.py from the official training/networks.py (PerturbGenerator).
const F = readFixture('test/fixtures/ilsgan/small32');
const TINY = { ...ILSGAN_64, resolution: 32, zDim: 16, wDim: 16, mappingLayers: 2, channelBase: 256, channelMax: 32 } as LayeredGeneratorConfig;

/** ≤ 1e-4·max(1, std of the reference). */
const report = (name: string, ours: tf.Tensor, key: string): void => {
  const ref = nhwc(F, key);
  const e = maxAbsDiff(ours, ref);
  const tol = 1e-4 * Math.max(1, tf.tidy(() => tf.moments(ref).variance.sqrt().dataSync()[0] as number));
  ref.dispose();
  console.log(`  ${name}: max abs error vs official code ${e.toExponential(2)} (tol ${tol.toExponential(2)})`);
  assert.ok(e <= tol, `${name}: max abs error ${e} > ${tol}`);
};

const reportLayers = (what: string, l: Layers, pre: string): void => {
  report(`${what} fg`, l.foreground, `${pre}fg`);
  report(`${what} bg`, l.background, `${pre}bg`);
  report(`${what} mask`, l.mask, `${pre}mask`);
  report(`${what} composite`, l.composite, `${pre}img`);
};

let g: LayeredGenerator;
let z: tf.Tensor2D;

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
  g = LayeredGenerator.create(TINY, new Rng(0));
  g.loadStateDict(stateDict(F, 'g.'), 'fixture PerturbGenerator');
  z = tensor(F, 'z') as tf.Tensor2D;
});

test('config: train_ILS_64.py settings, channel table, partial configs decode, bad fields are reported', () => {
  assert.deepEqual([...synthesisChannels(ILSGAN_64).values()], [256, 256, 256, 256, 256]);
  assert.deepEqual([...synthesisChannels(TINY).entries()], [[4, 32], [8, 32], [16, 16], [32, 8]]);
  assert.equal(ILSGAN_64.xintMax, 0.125);
  assert.equal(ILSGAN_64.convClamp, 256);
  const ok = decodeLayeredGeneratorConfig({ resolution: 128 });
  assert.ok(ok._tag === 'Right' && ok.right.resolution === 128 && ok.right.mappingLayers === 8);
  const bad = decodeLayeredGeneratorConfig({ resolution: 48, xintMax: 2 });
  assert.ok(bad._tag === 'Left' && bad.left.issues.length === 2);
});

test('32² forward(z) at ψ 1, const noise: fg, bg, mask, composite and fg on white match the official code', () => {
  tf.tidy(() => {
    const l = g.layers(z);
    assert.deepEqual(l.foreground.shape, [2, 32, 32, 3]);
    assert.equal(l.shifted, undefined);
    reportLayers('forward', l, 'fwd.');
    report('forward fg*mask (on white)', foregroundOnWhite(l), 'fwd.fg_white');
  });
});

test('32² generate_layer(z, eps) at ψ 0.7: base layer, fg on black and the shifted layer (ties to even) match the official code', () => {
  tf.tidy(() => {
    const l = g.layers(z, { truncation: 0.7, perturb: [[0.625, -0.875], [0.125, -0.625]] });
    reportLayers('generate_layer', l, 'gl.');
    report('generate_layer fg*mask (on black)', foregroundOnBlack(l), 'gl.fg_black');
    assert.deepEqual(l.shifts, [[2, -4], [0, -2]]); // (2.5, −3.5) → (2, −4); (0.5, −2.5) → (0, −2)
    reportLayers('shifted', l.shifted as Layers, 'gl.t.');
    report('shifted fg*mask (on black)', foregroundOnBlack(l.shifted as Layers), 'gl.t.fg_black');
  });
});

test('conv_clamp 0.7 (clamping active in every layer) matches the official code', () => {
  const c = LayeredGenerator.create({ ...TINY, convClamp: 0.7 } as LayeredGeneratorConfig, new Rng(1));
  c.loadStateDict(g.stateDict(), 'round trip');
  tf.tidy(() => report('clamped composite', c.layers(z).composite, 'clamp.img'));
  c.dispose();
});

test('torch.round half to even: 2.5 → 2, 3.5 → 4, −2.5 → −2, 0.5 → 0; shifts zero-fill', () => {
  assert.deepEqual([2.5, 3.5, -2.5, -3.5, 0.5, -0.5, 1.5, 2.4999, 2.6].map(roundHalfToEven), [2, 4, -2, -4, 0, 0, 2, 2, 3]);
  // ε·xint_max·W: 0.3125·0.125·64 = 2.5 → 2; 0.4375·0.125·64 = 3.5 → 4.
  assert.deepEqual(shiftPixels([[0.3125, 0.4375], [-0.3125, -0.4375]], 0.125, 64), [[2, 4], [-2, -4]]);
  tf.tidy(() => {
    const x = tf.tensor4d([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 3, 3, 1]);
    const right1Down2 = shiftImages(tf.concat([x, x]), [[1, 2], [-1, -1]]);
    assert.deepEqual(Array.from(right1Down2.dataSync()), [0, 0, 0, 0, 0, 0, 0, 1, 2, /* */ 5, 6, 0, 8, 9, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(shiftImages(x, [[3, 0]]).dataSync()), new Array(9).fill(0));
  });
});

test('perturb: true draws ε ∈ [−1, 1]² from the rng (shifts within ±xint_max·W), reproducibly; random noise needs an rng', () => {
  const a = g.layers(z, { perturb: true, noise: 'random', rng: new Rng(7) });
  const b = g.layers(z, { perturb: true, noise: 'random', rng: new Rng(7) });
  assert.deepEqual(a.shifts, b.shifts);
  assert.ok((a.shifts ?? []).flat().every((s) => Math.abs(s) <= 4));
  assert.equal(maxAbsDiff(a.composite, b.composite), 0);
  tf.dispose([a, b] as unknown as tf.TensorContainer);
  assert.throws(() => g.layers(z, { noise: 'random' }), /rng/);
  assert.throws(() => g.layers(z, { perturb: [[0, 0]] }), /perturb/);
});

test('state dict: official keys and shapes round trip; a wrong dict lists missing/unexpected/misshaped keys untouched', () => {
  const ref = stateDict(F, 'g.');
  const sd = g.stateDict();
  assert.deepEqual([...sd.keys()].sort(), [...ref.keys()].sort());
  for (const [k, v] of sd) {
    const r = ref.get(k);
    assert.equal(v.data.length, r?.data.length, k);
    assert.ok(v.data.every((x, i) => x === r?.data[i]), `${k} round trip`);
  }
  assert.deepEqual(sd.get('synthesis_bg.b4.const')?.shape, [32, 4, 4]);
  assert.deepEqual(sd.get('synthesis_fg.b8.conv0.weight')?.shape, [32, 32, 3, 3]);
  assert.deepEqual(sd.get('synthesis_fg.b32.torgb.weight')?.shape, [4, 8, 1, 1]);
  assert.deepEqual(sd.get('mapping_fg.fc0.weight')?.shape, [16, 16]);
  assert.deepEqual(sd.get('synthesis_bg.b4.conv1.noise_strength')?.shape, []);
  const other = LayeredGenerator.create(TINY, new Rng(5));
  const before = other.stateDict();
  const bad: StateDict = new Map(ref);
  bad.delete('mapping_bg.fc1.bias');
  bad.set('mapping_bg.fc2.weight', ref.get('mapping_bg.fc1.weight') as never);
  bad.set('synthesis_fg.b8.conv0.weight', ref.get('synthesis_fg.b8.conv1.weight') as never); // [32,32,3,3] fits …
  bad.set('synthesis_fg.b16.conv0.weight', ref.get('synthesis_fg.b16.conv1.weight') as never); // [16,16,3,3] where [16,32,3,3] is wanted
  bad.set('synthesis_bg.b8.resample_filter', ref.get('synthesis_bg.b8.conv1.noise_const') as never);
  assert.throws(() => other.loadStateDict(bad, 'bad.pkl'), (e: unknown) =>
    e instanceof WeightsError && /bad\.pkl/.test(e.message) && /missing: mapping_bg\.fc1\.bias/.test(e.message) &&
    /unexpected: mapping_bg\.fc2\.weight/.test(e.message) && /synthesis_fg\.b16\.conv0\.weight/.test(e.message) &&
    !/b8\.conv0\.weight/.test(e.message) && /synthesis_bg\.b8\.resample_filter/.test(e.message));
  const after = other.stateDict();
  for (const [k, v] of before) assert.ok(v.data.every((x, i) => x === after.get(k)?.data[i]), `${k} untouched`);
  other.dispose();
});

test('64² official size: create, one forward, shapes; buffers are not trainable', () => {
  const big = LayeredGenerator.create({ ...ILSGAN_64, channelBase: 512, channelMax: 16 } as LayeredGeneratorConfig, new Rng(2));
  assert.equal(big.params.synthesisFg.numWs, 10);
  const l = big.layers(tf.randomNormal([1, 512], 0, 1, 'float32', 3) as tf.Tensor2D);
  assert.deepEqual(l.composite.shape, [1, 64, 64, 3]);
  assert.deepEqual(l.mask.shape, [1, 64, 64, 1]);
  tf.dispose(l as unknown as tf.TensorContainer);
  const frozen = big.variables().filter((v) => !v.trainable).length;
  assert.equal(frozen, 2 /* w_avg */ + 2 * 9 /* noise_const */ + 1 /* filter */);
  big.dispose();
});

test('no tensor leaks: layers (plain, perturbed, random noise), state dict round trip, create/dispose', () => {
  const n0 = tf.memory().numTensors;
  tf.dispose(g.layers(z) as unknown as tf.TensorContainer);
  tf.dispose(g.layers(z, { truncation: 0.5, perturb: true, noise: 'random', rng: new Rng(1) }) as unknown as tf.TensorContainer);
  g.loadStateDict(g.stateDict());
  LayeredGenerator.create(TINY, new Rng(9)).dispose();
  assert.equal(tf.memory().numTensors, n0);
});
