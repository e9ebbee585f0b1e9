import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { ShapeError } from '../../src/core/errors.ts';
import { fusedLeakyRelu } from '../../src/nn/fused-act.ts';
import { makeKernel, upfirdn2d, upsample2d, downsample2d } from '../../src/nn/upfirdn.ts';
import { createEqualLinear, equalLinear, createEqualConv2d, equalConv2d } from '../../src/nn/equalized.ts';
import { modulatedConv, type ModulatedConv } from '../../src/nn/modulated-conv.ts';
import { createNoiseInjection, noiseInjection } from '../../src/nn/noise.ts';
import { createConstantInput, constantInput } from '../../src/nn/constant-input.ts';
import { minibatchStddev } from '../../src/nn/minibatch-stddev.ts';
import { adain, createAdaIN, adaIN } from '../../src/nn/adain.ts';
import { createSpade, spade } from '../../src/nn/spade.ts';
import { createResBlock, resBlock } from '../../src/nn/resblock.ts';
import { hwioFromOihw, inOutFromOutIn } from '../../src/io/weights.ts';
import { readFixture, get, tensor, nhwc, maxAbsDiff } from './fixture.ts';

const F = readFixture('test/fixtures/nn/blocks');
const TOL = 1e-4;

before(async () => {
  await initBackend({ backend: 'wasm', ignoreEnv: true });
});

const close = (name: string, got: tf.Tensor, want: tf.Tensor, tol = TOL): void => {
  const e = maxAbsDiff(got, want);
  assert.ok(e <= tol, `${name}: max abs error ${e} > ${tol}`);
};

test('fusedLeakyRelu [1,2] + bias matches hand values (slope 0.2, gain √2)', () => {
  const y = fusedLeakyRelu(tf.tensor2d([[-1, 2]]), tf.tensor1d([0, 1]));
  const v = y.dataSync();
  assert.ok(Math.abs((v[0] as number) - -0.2 * Math.SQRT2) < 1e-6);
  assert.ok(Math.abs((v[1] as number) - 3 * Math.SQRT2) < 1e-6);
  assert.throws(() => fusedLeakyRelu(tf.zeros([1, 3]), tf.tensor1d([0, 1])), ShapeError);
});

test('makeKernel [1,3,3,1] is the normalized outer product', () => {
  const k = makeKernel([1, 3, 3, 1], 4).arraySync();
  assert.ok(Math.abs((k[1]?.[2] as number) - (9 / 64) * 4) < 1e-7);
});

for (const name of ['up2_p21', 'down2_p11', 'up1_p0m1', 'up3_down2_p12']) {
  test(`upfirdn2d x=[2,7,6,3] k=[3,4] ${name} matches PyTorch`, () => {
    const [up, down, pad] = ({ up2_p21: [2, 1, [2, 1]], down2_p11: [1, 2, [1, 1]], up1_p0m1: [1, 1, [0, -1]], up3_down2_p12: [3, 2, [1, 2]] } as Record<string, [number, number, [number, number]]>)[name] as [number, number, [number, number]];
    tf.tidy(() => close(name, upfirdn2d(nhwc(F, 'upfirdn.x'), tensor(F, 'upfirdn.k') as tf.Tensor2D, { up, down, pad }), nhwc(F, `upfirdn.${name}`)));
  });
}

test('upfirdn2d input gradient (custom FIR backward) equals autodiff of pad/crop + depthwise conv, crops and pads mixed', () => {
  // Reference: the same forward from tfjs ops with their own gradients (zero insertion by pad+reshape,
  // tf.pad / tf.slice, depthwise correlation with the flipped kernel).
  const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const k = tf.tensor2d([[1, 2, 0, -1], [0.5, 1, 3, 1], [2, -1, 1, 0]]);
  const ref = (v: tf.Tensor4D, up: number, down: number, [p0, p1]: [number, number]): tf.Tensor4D => {
    const [n, h, w, c] = v.shape;
    let u = v;
    if (up > 1) {
      const a = tf.pad(v.reshape([n, h, w, 1, c]), [[0, 0], [0, 0], [0, 0], [0, up - 1], [0, 0]]).reshape([n, h, 1, w * up, c]);
      u = tf.pad(a, [[0, 0], [0, 0], [0, up - 1], [0, 0], [0, 0]]).reshape([n, h * up, w * up, c]) as tf.Tensor4D;
    }
    u = tf.pad(u, [[0, 0], [Math.max(p0, 0), Math.max(p1, 0)], [Math.max(p0, 0), Math.max(p1, 0)], [0, 0]]);
    const [, hu, wu] = u.shape;
    u = tf.slice(u, [0, Math.max(-p0, 0), Math.max(-p0, 0), 0], [-1, hu - Math.max(-p0, 0) - Math.max(-p1, 0), wu - Math.max(-p0, 0) - Math.max(-p1, 0), -1]);
    const kf = tf.reverse(k, [0, 1]).reshape([3, 4, 1, 1]).tile([1, 1, c, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(u, kf, down, 'valid');
  };
  for (const [up, down, pad] of [[1, 1, [2, 1]], [2, 1, [2, 1]], [1, 2, [1, 1]], [1, 1, [0, -1]], [3, 2, [1, 2]], [1, 2, [-2, 3]], [2, 2, [-1, -1]]] as [number, number, [number, number]][]) {
    tf.tidy(() => {
      const y = upfirdn2d(x, k, { up, down, pad });
      const probe = tf.randomNormal(y.shape, 0, 1, 'float32', 4);
      const want = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(ref(v as tf.Tensor4D, up, down, pad), probe)))(x);
      const got = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(upfirdn2d(v as tf.Tensor4D, k, { up, down, pad }), probe)))(x);
      close(`forward up${up} down${down} pad ${pad}`, y, ref(x, up, down, pad), 1e-5);
      close(`gradient up${up} down${down} pad ${pad}`, got, want, 1e-4);
    });
  }
  tf.dispose([x, k]);
});

test('upsample2d / downsample2d double and halve the side and keep a constant image constant', () => {
  tf.tidy(() => {
    const x = tf.ones([1, 8, 8, 2]) as tf.Tensor4D;
    const u = upsample2d(x), d = downsample2d(x);
    assert.deepEqual(u.shape, [1, 16, 16, 2]);
    assert.deepEqual(d.shape, [1, 4, 4, 2]);
    // interior pixels away from the zero padding stay 1
    assert.ok(Math.abs((u.slice([0, 4, 4, 0], [1, 1, 1, 1]).dataSync()[0] as number) - 1) < 1e-6);
    assert.ok(Math.abs((d.slice([0, 2, 2, 0], [1, 1, 1, 1]).dataSync()[0] as number) - 1) < 1e-6);
  });
});

test('equalLinear lrMul=0.01 scales weight by lrMul/√in and bias by lrMul', () => {
  tf.tidy(() => {
    const fc = createEqualLinear({ inDim: 4, outDim: 2, lrMul: 0.01, biasInit: 3 }, new Rng(0));
    fc.weight.assign(tf.fill([4, 2], 100));
    const y = equalLinear(fc, tf.ones([1, 4]) as tf.Tensor2D).dataSync();
    // 4 · 100 · 0.01/2 + 3 · 0.01
    assert.ok(Math.abs((y[0] as number) - (2 + 0.03)) < 1e-5, String(y[0]));
  });
});

test('equalConv2d 1×1 with weight 1 averages channels times √in', () => {
  tf.tidy(() => {
    const c = createEqualConv2d({ inChannels: 4, outChannels: 1, kernelSize: 1 }, new Rng(0));
    c.weight.assign(tf.ones([1, 1, 4, 1]));
    const y = equalConv2d(c, tf.fill([1, 2, 2, 4], 2) as tf.Tensor4D).dataSync();
    assert.ok(Math.abs((y[0] as number) - 8 / 2) < 1e-6);
  });
});

for (const name of ['plain', 'up', 'rgb']) {
  test(`modulatedConv (${name}) x=[2,5,5,4] → 5 channels matches PyTorch's fused grouped conv`, () => {
    tf.tidy(() => {
      const w = get(F, `modconv.${name}.weight`);
      const [, o, i, k] = w.shape as number[];
      const p: ModulatedConv = {
        weight: tf.variable(hwioFromOihw({ ...w, shape: [o as number, i as number, k as number, k as number] })),
        modulation: { weight: tf.variable(inOutFromOutIn(get(F, `modconv.${name}.mod_weight`))), bias: tf.variable(tensor(F, `modconv.${name}.mod_bias`)), scale: 1 / Math.sqrt(8), lrMul: 1, activation: false },
        scale: 1 / Math.sqrt((i as number) * (k as number) * (k as number)),
        options: { demodulate: name !== 'rgb', upsample: name === 'up', blurKernel: [1, 3, 3, 1] },
      };
      close(name, modulatedConv(p, nhwc(F, `modconv.${name}.x`), tensor(F, `modconv.${name}.style`) as tf.Tensor2D), nhwc(F, `modconv.${name}.y`));
      for (const v of [p.weight, p.modulation.weight, p.modulation.bias as tf.Variable]) v.dispose();
    });
  });
}

test('noiseInjection adds weight·noise broadcast over batch and channels', () => {
  tf.tidy(() => {
    const ni = createNoiseInjection();
    ni.weight.assign(tf.tensor1d([0.5]));
    const y = noiseInjection(ni, tf.ones([2, 2, 2, 3]) as tf.Tensor4D, tf.fill([1, 2, 2, 1], 2) as tf.Tensor4D);
    assert.deepEqual(Array.from(y.dataSync()), new Array(24).fill(2));
    assert.throws(() => noiseInjection(ni, tf.ones([2, 2, 2, 3]) as tf.Tensor4D, tf.ones([1, 4, 4, 1]) as tf.Tensor4D), ShapeError);
    ni.weight.dispose();
  });
});

test('constantInput repeats the learned constant over the batch', () => {
  const c = createConstantInput(3, 4, new Rng(0));
  tf.tidy(() => {
    const y = constantInput(c, 2);
    assert.deepEqual(y.shape, [2, 4, 4, 3]);
    close('constant', y.slice([1, 0, 0, 0], [1, -1, -1, -1]), c.input);
  });
  c.input.dispose();
});

test('minibatchStddev x=[8,4,5,3] group 4 matches PyTorch', () => {
  tf.tidy(() => close('mbstd', minibatchStddev(nhwc(F, 'mbstd.x')), nhwc(F, 'mbstd.y')));
  assert.throws(() => minibatchStddev(tf.zeros([6, 2, 2, 1]) as tf.Tensor4D), ShapeError);
});

test('adain x=[2,4,4,3] matches PyTorch instance_norm·γ+β', () => {
  tf.tidy(() => close('adain', adain(nhwc(F, 'adain.x'), tensor(F, 'adain.gamma') as tf.Tensor2D, tensor(F, 'adain.beta') as tf.Tensor2D), nhwc(F, 'adain.y')));
});

test('adaIN layer at init (γ=1, β≈W·w) keeps a normalized input when w=0', () => {
  const a = createAdaIN(3, 5, new Rng(0));
  tf.tidy(() => {
    const x = tf.randomNormal([1, 4, 4, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const y = adaIN(a, x, tf.zeros([1, 5]) as tf.Tensor2D);
    const { mean, variance } = tf.moments(y, [1, 2]);
    assert.ok(tf.max(tf.abs(mean)).dataSync()[0] as number < 1e-5);
    assert.ok(Math.abs((tf.mean(variance).dataSync()[0] as number) - 1) < 1e-3);
  });
  a.style.weight.dispose(); a.style.bias?.dispose();
});

test('spade (instance norm) x=[2,4,4,3], seg=[2,8,8,2] matches PyTorch', () => {
  const sp = createSpade({ channels: 3, labelChannels: 2, hidden: 6 }, new Rng(0));
  tf.tidy(() => {
    const conv = (k: string) => hwioFromOihw(get(F, k));
    sp.sharedWeight.assign(conv('spade.shared_w')); sp.sharedBias.assign(tensor(F, 'spade.shared_b'));
    sp.gammaWeight.assign(conv('spade.gamma_w')); sp.gammaBias.assign(tensor(F, 'spade.gamma_b'));
    sp.betaWeight.assign(conv('spade.beta_w')); sp.betaBias.assign(tensor(F, 'spade.beta_b'));
    close('spade', spade(sp, nhwc(F, 'spade.x'), nhwc(F, 'spade.seg')), nhwc(F, 'spade.y'));
  });
  for (const v of [sp.sharedWeight, sp.sharedBias, sp.gammaWeight, sp.gammaBias, sp.betaWeight, sp.betaBias]) v.dispose();
});

test('resBlock 4→6 channels x=[2,8,8,4] → [2,4,4,6] matches PyTorch ResBlock', () => {
  const rb = createResBlock(4, 6, new Rng(0));
  tf.tidy(() => {
    rb.conv1.conv.weight.assign(hwioFromOihw(get(F, 'resblock.sd.conv1.0.weight')));
    rb.conv1.activateBias?.assign(tensor(F, 'resblock.sd.conv1.1.bias'));
    rb.conv2.conv.weight.assign(hwioFromOihw(get(F, 'resblock.sd.conv2.1.weight')));
    rb.conv2.activateBias?.assign(tensor(F, 'resblock.sd.conv2.2.bias'));
    rb.skip.conv.weight.assign(hwioFromOihw(get(F, 'resblock.sd.skip.1.weight')));
    const y = resBlock(rb, nhwc(F, 'resblock.x'));
    assert.deepEqual(y.shape, [2, 4, 4, 6]);
    close('resblock', y, nhwc(F, 'resblock.y'));
  });
  for (const l of [rb.conv1, rb.conv2, rb.skip]) { l.conv.weight.dispose(); l.conv.bias?.dispose(); l.activateBias?.dispose(); }
});
