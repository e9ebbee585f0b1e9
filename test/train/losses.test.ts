import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../src/backend/init.ts';
import { bceWithLogits, dHingeLoss, diceLoss, dLogisticLoss, gHingeLoss, gNonSaturatingLoss } from '../../src/train/losses.ts';
import { emaBeta, emaUpdate } from '../../src/train/ema.ts';
import { Adam, lazyRegularizedAdam, scheduledLr } from '../../src/train/adam.ts';

before(async () => { await initBackend({ backend: 'cpu', ignoreEnv: true }); });

const val = (x: tf.Tensor): number => { const v = x.dataSync()[0]!; x.dispose(); return v; };
const close = (a: number, b: number, tol = 1e-6): void => assert.ok(Math.abs(a - b) <= tol, `${a} vs ${b}`);
const sp = (x: number): number => Math.log1p(Math.exp(x));

test('GAN losses on logits real=[0,1], fake=[0,-1] / hinge real=[0.5,2], fake=[-2,0.5] match hand-derived values', () => {
  const before = tf.memory().numTensors;
  const r = tf.tensor1d([0, 1]), f = tf.tensor1d([0, -1]);
  // softplus(0)=ln2, softplus(-1)=ln(1+e^-1): D = (ln2+sp(-1))/2 + (ln2+sp(-1))/2
  close(val(dLogisticLoss(r, f)), Math.LN2 + sp(-1));
  close(val(gNonSaturatingLoss(f)), (Math.LN2 + sp(1)) / 2);
  const hr = tf.tensor1d([0.5, 2]), hf = tf.tensor1d([-2, 0.5]);
  close(val(dHingeLoss(hr, hf)), 0.25 + 0.75);
  close(val(gHingeLoss(hf)), 0.75);
  tf.dispose([r, f, hr, hf]);
  assert.equal(tf.memory().numTensors, before);
});

test('segmenter losses: BCE logits=[0,2] y=[1,0]; Dice p=[.5,.5] y=[1,0]', () => {
  const l = tf.tensor4d([0, 2], [1, 1, 2, 1]), y = tf.tensor4d([1, 0], [1, 1, 2, 1]);
  close(val(bceWithLogits(l, y)), (Math.LN2 + sp(2)) / 2);
  const l0 = tf.zeros([1, 1, 2, 1]) as tf.Tensor4D;
  close(val(diceLoss(l0, y)), 1 - (2 * 0.5 + 1) / (2 + 1));
  tf.dispose([l, y, l0]);
});

test('EMA: target ← β·t + (1-β)·s, and β from a half-life', () => {
  const t = tf.variable(tf.tensor1d([1, 2])), s = tf.variable(tf.tensor1d([3, -2]));
  emaUpdate([t], [s], 0.9);
  const v = t.dataSync();
  close(v[0]!, 0.9 * 1 + 0.1 * 3); close(v[1]!, 0.9 * 2 + 0.1 * -2);
  close(emaBeta(32, 10), 0.5 ** (32 / 10000), 1e-12);
  tf.dispose([t, s]);
});

test('Adam: two steps on x=1 with g=0.5 then g=-1 match a hand computation', () => {
  const x = tf.variable(tf.scalar(1), true, 'adam-x');
  const cfg = { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 } as Parameters<typeof lazyRegularizedAdam>[0];
  const opt = new Adam([x], cfg);
  // Hand computation (doubles):
  let m = 0, v = 0, xv = 1;
  for (const [t, g] of [[1, 0.5], [2, -1]] as const) {
    m = 0.9 * m + 0.1 * g; v = 0.999 * v + 0.001 * g * g;
    xv -= (0.1 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8);
    const gt = tf.scalar(g);
    opt.apply({ 'adam-x': gt });
    gt.dispose();
  }
  close(xv, 0.9 + 0.1 * (0.055 / 0.19) / Math.sqrt(0.00124975 / (1 - 0.999 ** 2)), 1e-8); // the hand values written out
  close(x.dataSync()[0]!, xv, 1e-6);
  // state round trip
  const s = opt.getState();
  assert.equal(s.step, 2);
  close(s.m[0]!.dataSync()[0]!, -0.055);
  const opt2 = new Adam([x], cfg);
  opt2.setState(s);
  assert.equal(opt2.step, 2);
  tf.dispose([...s.m, ...s.v]); opt.dispose(); opt2.dispose(); x.dispose();
});

test('lazy-regularized Adam settings and lr schedules', () => {
  const c = lazyRegularizedAdam({ lr: 0.002, beta1: 0, beta2: 0.99, eps: 1e-8 } as Parameters<typeof lazyRegularizedAdam>[0], 16);
  close(c.lr, 0.002 * 16 / 17, 1e-12); close(c.beta2, 0.99 ** (16 / 17), 1e-12);
  close(scheduledLr({ kind: 'step', every: 8000, factor: 0.2 } as never, 1e-3, 9000, 12000), 2e-4, 1e-12);
  close(scheduledLr({ kind: 'cosine', minFactor: 0 }, 1, 50, 100), 0.5, 1e-12);
  close(scheduledLr({ kind: 'constant' }, 3, 50, 100), 3);
});
