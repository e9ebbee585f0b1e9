import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../src/backend/init.ts';
import { Rng } from '../../../src/core/rng.ts';
import { ConfigError, ShapeError, WeightsError } from '../../../src/core/errors.ts';
import { readSafetensors } from '../../../src/io/safetensors-file.ts';
import type { StateDict } from '../../../src/io/state-dict.ts';
import { createUNet, UNet, UNetEnsemble } from '../../../src/models/unet/index.ts';

const TOL = 1e-4;

const loadFixture = (variant: 'transposed' | 'bilinear') => {
  const { tensors, metadata } = readSafetensors(`test/fixtures/unet/unet-${variant}.safetensors`);
  const state: StateDict = new Map();
  for (const [k, v] of tensors) if (k.startsWith('state.')) state.set(k.slice(6), v);
  const get = (k: string): tf.Tensor => {
    const t = tensors.get(k);
    if (!t) throw new Error(`fixture has no ${k}`);
    return tf.tensor(Float32Array.from(t.data as ArrayLike<number>), [...t.shape]);
  };
  const nhwc = (k: string): tf.Tensor4D => tf.tidy(() => get(k).transpose([0, 2, 3, 1]) as tf.Tensor4D);
  return { state, config: JSON.parse(metadata.config as string) as unknown, get, nhwc };
};

const maxAbs = (a: tf.Tensor, b: tf.Tensor): number => {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);
};

const loaded = (variant: 'transposed' | 'bilinear') => {
  const f = loadFixture(variant);
  const unet = createUNet(f.config, new Rng(0));
  unet.loadStateDict(f.state);
  return { f, unet };
};

// One backend per test file: switching backends inside one process confuses the wasm conv
// gradient kernels (see the report); unet-wasm.test.ts runs the same parity checks on wasm.
const BACKENDS = (process.env.UNET_TEST_BACKENDS ?? 'cpu').split(',') as ('cpu' | 'wasm')[];
for (const backend of BACKENDS) {
  describe(`UNet on ${backend}`, () => {
    before(async () => {
      await initBackend({ backend, ignoreEnv: true });
    });

    for (const variant of ['transposed', 'bilinear'] as const) {
      test(`${variant} width 4 depth 4, eval x=[2,32,32,3] and [1,48,40,3] match PyTorch`, () => {
        const { f, unet } = loaded(variant);
        for (const hw of ['32x32', '48x40']) {
          const x = f.nhwc(`io.input_${hw}`), want = f.nhwc(`io.output_${hw}`);
          const got = unet.forward(x, false);
          const e = maxAbs(got, want);
          console.log(`  ${backend} ${variant} ${hw} eval max abs error ${e.toExponential(2)}`);
          assert.ok(e <= TOL, `${hw}: max abs error ${e}`);
          // predict = softmax foreground
          const p = unet.predict(x), q = tf.tidy(() => tf.softmax(want, 3).slice([0, 0, 0, 1], [-1, -1, -1, 1]));
          assert.ok(maxAbs(p, q) <= TOL);
          tf.dispose([x, want, got, p, q]);
        }
        unet.dispose();
      });

      // Gradients through ReLU are discontinuous at 0: a fixture with a pre-activation within
      // float rounding of 0 makes backends disagree legitimately (seed 4321 had one at up2's
      // first BN on wasm), so the fixtures' seeds are picked to have none.
      test(`${variant} train mode: output, running stats and gradients match PyTorch`, () => {
        const { f, unet } = loaded(variant);
        const x = f.nhwc('io.input_32x32'), wts = f.nhwc('train.weights');
        const targets = unet.weightTargets();
        const gradKeys = [...f.state.keys()].filter((k) => k.endsWith('weight') || k.endsWith('bias')).filter((k) => targetsHasGrad(f, k));
        const vars = gradKeys.map((k) => targets.get(k)!.variable);
        let out: tf.Tensor4D | undefined;
        const { grads } = tf.variableGrads(() => {
          const y = unet.forward(x, true);
          out = tf.keep(y);
          return tf.sum(tf.mul(y, wts)) as tf.Scalar;
        }, vars);
        const eOut = maxAbs(out!, f.nhwc('train.output'));
        assert.ok(eOut <= TOL, `train output error ${eOut}`);
        for (const k of ['inc.double_conv.1.running_mean', 'inc.double_conv.1.running_var', 'up1.conv.double_conv.4.running_var']) {
          const e = maxAbs(targets.get(k)!.variable, f.get(`train.after.${k}`));
          assert.ok(e <= TOL, `${k} after one train step: error ${e}`);
        }
        let worst = 0;
        gradKeys.forEach((k, i) => {
          const g = grads[vars[i]!.name]!;
          const t = targets.get(k)!;
          const stored = tf.tidy(() => (t.toStored ? t.toStored(g) : g.clone()));
          const want = f.get(`train.grad.${k}`);
          const scale = tf.tidy(() => tf.max(tf.abs(want)).dataSync()[0] as number);
          const e = maxAbs(stored, want) / Math.max(scale, 1);
          worst = Math.max(worst, e);
          assert.ok(e <= 1e-3, `grad ${k}: relative error ${e}`);
          tf.dispose([stored, want]);
        });
        console.log(`  ${backend} ${variant} train output error ${eOut.toExponential(2)}, worst grad rel error ${worst.toExponential(2)}`);
        tf.dispose([x, wts, out!, ...Object.values(grads)]);
        unet.dispose();
      });
    }
  });
}

const targetsHasGrad = (f: ReturnType<typeof loadFixture>, k: string): boolean => {
  try { f.get(`train.grad.${k}`).dispose(); return true; } catch { return false; }
};

if (BACKENDS.includes('cpu')) describe('UNet (cpu) contracts', () => {
  before(async () => {
    await initBackend({ backend: 'cpu', ignoreEnv: true });
  });

  test('numTensors stays flat over 20 train-mode SGD steps, x=[2,8,8,3] width 2 depth 2', () => {
    const unet = createUNet({ inChannels: 3, nClasses: 1, width: 2, depth: 2, bilinear: true }, new Rng(1));
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const m = tf.cast(tf.greater(tf.randomUniform([2, 8, 8, 1], 0, 1, 'float32', 2), 0.5), 'float32') as tf.Tensor4D;
    const opt = tf.train.sgd(0.1);
    const loss = () => tf.losses.sigmoidCrossEntropy(m, unet.logits(x, true)) as tf.Scalar;
    let l0 = 0;
    for (let i = 0; i < 2; i++) {
      const first = opt.minimize(loss, true, unet.trainableVariables())!;
      if (i === 0) l0 = first.dataSync()[0] as number;
      first.dispose();
    }
    const before = tf.memory().numTensors;
    let last = 0;
    for (let i = 0; i < 20; i++) {
      const l = opt.minimize(loss, true, unet.trainableVariables())!;
      last = l.dataSync()[0] as number;
      l.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
    assert.ok(last < l0, `loss should go down: ${l0} → ${last}`);
    const n = unet.variables().length;
    unet.dispose();
    tf.dispose([x, m]);
    assert.equal(tf.memory().numTensors, before - n - 2); // variables, x and m freed
    opt.dispose();
  });

  test('state dict round trip keeps milesial names; wrong dicts list every bad key', () => {
    const a = createUNet({ inChannels: 3, nClasses: 2, width: 2, depth: 2, bilinear: false }, new Rng(1));
    const b = createUNet({ inChannels: 3, nClasses: 2, width: 2, depth: 2, bilinear: false }, new Rng(2));
    const sd = a.stateDict();
    assert.ok(sd.has('down1.maxpool_conv.1.double_conv.0.weight'));
    assert.ok(sd.has('up1.up.weight') && sd.has('up2.conv.double_conv.4.num_batches_tracked') && sd.has('outc.conv.bias'));
    assert.deepEqual(sd.get('inc.double_conv.0.weight')!.shape, [2, 3, 3, 3]);
    b.loadStateDict(sd);
    const x = tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    assert.ok(maxAbs(a.forward(x), b.forward(x)) === 0);
    const bad: StateDict = new Map(sd);
    bad.delete('outc.conv.weight');
    bad.set('extra.weight', { dtype: 'float32', shape: [1], data: new Float32Array(1) });
    bad.set('inc.double_conv.1.weight', { dtype: 'float32', shape: [3], data: new Float32Array(3) });
    assert.throws(() => b.loadStateDict(bad), (e: unknown) => e instanceof WeightsError && /outc\.conv\.weight/.test(e.message) && /extra\.weight/.test(e.message) && /inc\.double_conv\.1\.weight/.test(e.message));
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });

  test('bad config is a ConfigError; too-small input is a ShapeError', () => {
    assert.throws(() => createUNet({ inChannels: 3, nClasses: 3, width: 0, depth: 2, bilinear: false }, new Rng(0)), ConfigError);
    const u = createUNet({ inChannels: 3, nClasses: 1, width: 2, depth: 3, bilinear: false }, new Rng(0));
    assert.throws(() => u.predict(tf.zeros([1, 4, 4, 3]) as tf.Tensor4D), ShapeError);
    assert.throws(() => u.predict(tf.zeros([1, 8, 8, 1]) as tf.Tensor4D), ShapeError);
    u.dispose();
  });

  test('UNetEnsemble averages member probabilities', () => {
    const cfg = { inChannels: 3, nClasses: 2, width: 2, depth: 2, bilinear: true };
    const a = createUNet(cfg, new Rng(1)), b = createUNet(cfg, new Rng(2));
    const x = tf.randomNormal([2, 8, 12, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
    const pa = a.predict(x), pb = b.predict(x);
    const ens = new UNetEnsemble([a, b]);
    const p = ens.predict(x);
    assert.deepEqual(p.shape, [2, 8, 12, 1]);
    const want = tf.div(tf.add(pa, pb), 2);
    assert.ok(maxAbs(p, want) < 1e-6);
    assert.equal(ens.variables().length, a.variables().length * 2);
    ens.dispose();
    assert.throws(() => new UNetEnsemble([]), ShapeError);
    tf.dispose([x, pa, pb, p, want]);
    assert.ok(UNet.name === 'UNet');
  });
});
