import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { Rng } from '../../src/core/rng.ts';
import { ADA_CONTROL_DEFAULTS, adaAdjust, adaAugment, adaPipe, affineGridSample, erfinv, type AdaPipeConfig } from '../../src/train/ada.ts';
import { readFixture, tensor, nhwc, maxAbsDiff } from '../nn/fixture.ts';

// Fixture written by tools/parity/ada.py from the official NVlabs training/augment.py (AugmentPipe, debug_percentile).
const F = readFixture('test/fixtures/ada/debug');
const AUGS = ['xflip', 'rotate90', 'xint', 'scale', 'rotate', 'aniso', 'xfrac', 'brightness', 'contrast', 'lumaflip', 'hue', 'saturation'] as const;

before(async () => { await initBackend({ backend: 'wasm', ignoreEnv: true }); });

const configFor = (name: string): AdaPipeConfig => {
  const off = Object.fromEntries(AUGS.map((a) => [a, 0]));
  return name === 'bgc' ? adaPipe('bgc') : { ...adaPipe('bgc'), ...off, [name]: 1 };
};

for (const name of [...AUGS, 'bgc']) {
  test(`adaAugment ${name} at debug percentiles 0.2 and 0.85 matches AugmentPipe (x [2,16,12,3]): output and input gradient`, () => {
    const x = nhwc(F, 'x'), w = nhwc(F, 'w');
    for (const pct of [0.2, 0.85]) {
      const n0 = tf.memory().numTensors;
      const f = (v: tf.Tensor4D): tf.Tensor4D => adaAugment(v, configFor(name), 1, new Rng(0), pct);
      const y = f(x);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v as tf.Tensor4D), w)))(x);
      const refY = nhwc(F, `${name}.${pct}.out`), refG = nhwc(F, `${name}.${pct}.grad`);
      const ey = maxAbsDiff(y, refY), eg = maxAbsDiff(g, refG);
      console.log(`  ${name} @${pct}: out ${ey.toExponential(2)}, grad ${eg.toExponential(2)}`);
      assert.ok(ey <= 1e-4 && eg <= 1e-4, `${name} @${pct}: ${ey}, ${eg}`);
      tf.dispose([y, g, refY, refG]);
      assert.equal(tf.memory().numTensors, n0);
    }
    tf.dispose([x, w]);
  });
}

test('adaAugment at p = 0 only resamples (the reference checks identity by object, so the sym6 up/down still runs): within 1e-5 of the input; at p = 1 with a seed it repeats and changes the images', () => {
  const x = nhwc(F, 'x');
  const id = adaAugment(x, adaPipe('bgc'), 0, new Rng(1));
  assert.ok(maxAbsDiff(id, x) < 1e-5);
  const a = adaAugment(x, adaPipe('bgc'), 1, new Rng(1)), b = adaAugment(x, adaPipe('bgc'), 1, new Rng(1));
  assert.equal(maxAbsDiff(a, b), 0);
  assert.ok(maxAbsDiff(a, x) > 0.1);
  tf.dispose([x, id, a, b]);
  void tensor;
});

test('adaAdjust moves p by batch·interval/(kimg·1000) toward E[sign D(real)] = target, never below 0', () => {
  const step = (32 * 4) / (500 * 1000);
  assert.equal(adaAdjust(0.1, 0.9, 32, ADA_CONTROL_DEFAULTS), 0.1 + step);
  assert.equal(adaAdjust(0.1, 0.2, 32, ADA_CONTROL_DEFAULTS), 0.1 - step);
  assert.equal(adaAdjust(0, 0.2, 32, ADA_CONTROL_DEFAULTS), 0);
});

test('erfinv inverts erf: erfinv(0.5) = 0.4769362762044699, erfinv(−0.9) = −1.1630871536766743', () => {
  assert.ok(Math.abs(erfinv(0.5) - 0.4769362762044699) < 1e-12);
  assert.ok(Math.abs(erfinv(-0.9) + 1.1630871536766743) < 1e-12);
  assert.ok(Math.abs(erfinv(0.999) - 2.326753765513525) < 1e-10);
});

test('affineGridSample: first and second gradients equal those of the same bilinear sampling written with tf.gather (x [2,5,4,2], rotation + shift)', () => {
  const r = new Rng(2);
  const x = tf.tensor4d(r.normalArray(2 * 5 * 4 * 2), [2, 5, 4, 2]);
  const theta = [[[0.9, -0.3, 0.1], [0.25, 1.1, -0.2]], [[-1, 0, 0.05], [0, 1, 0.3]]];
  const ref = (v: tf.Tensor4D): tf.Tensor4D => {
    // the same positions and weights, gathered with tfjs's own differentiable gather
    const [n, h, w, c] = v.shape, oh = 3, ow = 6;
    const rows: number[][] = [[], [], [], []], ws: number[][] = [[], [], [], []];
    for (let b = 0; b < n; b++) for (let i = 0; i < oh; i++) for (let j = 0; j < ow; j++) {
      const xb = (2 * j + 1) / ow - 1, yb = (2 * i + 1) / oh - 1, t = theta[b]!;
      const gx = Math.fround(t[0]![0]! * xb + t[0]![1]! * yb + t[0]![2]!), gy = Math.fround(t[1]![0]! * xb + t[1]![1]! * yb + t[1]![2]!);
      const ix = ((gx + 1) * w - 1) / 2, iy = ((gy + 1) * h - 1) / 2, x0 = Math.floor(ix), y0 = Math.floor(iy), fx = ix - x0, fy = iy - y0;
      [[y0, x0, (1 - fy) * (1 - fx)], [y0, x0 + 1, (1 - fy) * fx], [y0 + 1, x0, fy * (1 - fx)], [y0 + 1, x0 + 1, fy * fx]].forEach(([yy, xx, ww], k) => {
        const inside = yy! >= 0 && yy! < h && xx! >= 0 && xx! < w;
        rows[k]!.push(inside ? (b * h + yy!) * w + xx! : 0);
        ws[k]!.push(inside ? ww! : 0);
      });
    }
    const flat = tf.reshape(v, [n * h * w, c]);
    const out = [0, 1, 2, 3].reduce<tf.Tensor>((acc, k) => tf.add(acc, tf.mul(tf.gather(flat, tf.tensor1d(rows[k]!, 'int32')), tf.tensor2d(ws[k]!, [ws[k]!.length, 1]))), tf.zeros([n * oh * ow, c]));
    return tf.reshape(out, [n, oh, ow, c]) as tf.Tensor4D;
  };
  const ours = (v: tf.Tensor4D): tf.Tensor4D => affineGridSample(v, theta, 3, 6);
  const wOut = tf.tensor4d(r.normalArray(2 * 3 * 6 * 2), [2, 3, 6, 2]);
  const g1 = (f: typeof ours) => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(f(v as tf.Tensor4D), wOut)))(x);
  const g2 = (f: typeof ours) => tf.grad((v: tf.Tensor) => tf.sum(tf.square(tf.grad((u: tf.Tensor) => tf.sum(tf.square(f(u as tf.Tensor4D))))(v))))(x);
  assert.ok(maxAbsDiff(ours(x), ref(x)) < 1e-6);
  assert.ok(maxAbsDiff(g1(ours), g1(ref)) < 1e-5);
  assert.ok(maxAbsDiff(g2(ours), g2(ref)) < 1e-4);
  assert.ok(maxAbsDiff(g2(ours), tf.zerosLike(x)) > 0.1, 'second order is not trivially zero');
});
