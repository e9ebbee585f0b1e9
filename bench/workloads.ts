/**
 * The benchmark workloads on the tfjs side (the PyTorch side is tools/bench/torch_bench.py).
 * Training steps use the library's own `Adam` (src/train/adam.ts), as its training loops do.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { Adam, type AdamConfig } from '../src/train/adam.ts';
import { Rng } from '../src/core/rng.ts';
import type { MaskBatch } from '../src/core/tensor.ts';
import { alphaNet, alphaNetVariables, createAlphaNetParams } from '../src/methods/labels4free/alpha-net.ts';
import { alphaGeneratorLoss } from '../src/methods/labels4free/losses.ts';
import { LABELS4FREE_DEFAULTS } from '../src/methods/labels4free/train-config.ts';
import { dcgan32Workload, demoUnetWorkload, directionWorkload, ganseg64Workload, ilsgan64Workload, pairs1kWorkload, segment100Workload } from './demo-workloads.ts';
import { bceWithLogits, countParams, createStyleGan, createUNet, discriminate, featureChannels, generate, generateFeatures, unetForward } from './models.ts';

/** One Adam step of `vars` on the loss `f`; returns the loss (the caller disposes it). */
const minimize = (opt: Adam, vars: tf.Variable[], f: () => tf.Scalar): tf.Scalar => {
  const { value, grads } = tf.variableGrads(f, vars);
  opt.apply(grads);
  tf.dispose(grads);
  return value;
};

/** A prepared workload: `step` runs one timed unit of work and waits for its results. */
export interface Workload {
  readonly step: () => void;
  readonly dispose: () => void;
  readonly info: Record<string, unknown>;
}

const convWorkload = (n: number, size: number, c: number): Workload => {
  const x = tf.randomNormal([n, size, size, c], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, c, c], 0, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal([n, size, size, c], 0, 1, 'float32', 3) as tf.Tensor4D;
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same'));
  return {
    step: () => {
      const r = g([x, w], dy);
      for (const t of r) t.dataSync();
      tf.dispose(r);
    },
    dispose: () => tf.dispose([x, w, dy]),
    info: { gflop: (3 * 2 * n * size * size * 9 * c * c) / 1e9 },
  };
};

const unetWorkload = (size: number): Workload => {
  const net = createUNet();
  const vars = Object.values(net.params);
  const opt = new Adam(vars, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8 } as AdamConfig);
  const x = tf.randomNormal([8, size, size, 3], 0, 1, 'float32', 4) as tf.Tensor4D;
  const y = tf.tidy(() => tf.cast(tf.greater(tf.randomUniform([8, size, size, 1], 0, 1, 'float32', 5), 0.5), 'float32'));
  return {
    step: () => {
      const { value, grads } = tf.variableGrads(() => bceWithLogits(unetForward(net, x), y), vars);
      opt.apply(grads);
      tf.dispose(grads);
      value.dataSync();
      value.dispose();
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([x, y, ...vars]);
    },
    info: { params: countParams(net.params) },
  };
};

const sampleWorkload = (): Workload => {
  const gan = createStyleGan();
  const z = tf.randomNormal([16, gan.zdim], 0, 1, 'float32', 6) as tf.Tensor2D;
  return {
    step: () => {
      const img = tf.tidy(() => generate(gan, z));
      img.dataSync();
      img.dispose();
    },
    dispose: () => tf.dispose([z, ...Object.values(gan.g), ...Object.values(gan.d)]),
    info: { params: countParams(gan.g) },
  };
};

const softplus = (x: tf.Tensor): tf.Tensor => tf.softplus(x);

/** One D step (logistic loss + R1 γ=10 on reals by double backprop) and one G step (non-saturating). */
const styleganWorkload = (): Workload => {
  const gan = createStyleGan();
  const gVars = Object.values(gan.g), dVars = Object.values(gan.d);
  const adam = { lr: 2e-3, beta1: 0, beta2: 0.99, eps: 1e-8 } as AdamConfig;
  const optG = new Adam(gVars, adam);
  const optD = new Adam(dVars, adam);
  const real = tf.randomNormal([8, 64, 64, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  let seed = 8;
  return {
    step: () => {
      const z = tf.randomNormal([8, gan.zdim], 0, 1, 'float32', seed++) as tf.Tensor2D;
      const fake = tf.tidy(() => generate(gan, z));
      const lossD = minimize(optD, dVars, () => {
        const realGrad = tf.grad((r: tf.Tensor) => tf.sum(discriminate(gan, r as tf.Tensor4D)));
        const r1 = tf.mean(tf.sum(tf.square(realGrad(real)), [1, 2, 3]));
        const logistic = tf.add(tf.mean(softplus(discriminate(gan, fake))), tf.mean(softplus(tf.neg(discriminate(gan, real)))));
        return tf.add(logistic, tf.mul(r1, 5)) as tf.Scalar;
      });
      const lossG = minimize(optG, gVars, () => tf.mean(softplus(tf.neg(discriminate(gan, generate(gan, z))))) as tf.Scalar);
      lossD.dataSync();
      lossG.dataSync();
      tf.dispose([z, fake, lossD, lossG]);
    },
    dispose: () => {
      optG.dispose();
      optD.dispose();
      tf.dispose([real, ...gVars, ...dVars]);
    },
    info: { params: countParams(gan.g) + countParams(gan.d) },
  };
};

/**
 * One Labels4Free iteration (train.py) at 64², batch 8, on the bench G (frozen: its passes run outside
 * the gradient tape, as `requires_grad(generator, False)`): D step (logistic loss on reals vs composites
 * + R1 γ=10 every step) and alpha-net step (the library's `alphaNet` and `alphaGeneratorLoss` at train.py's
 * defaults). Each phase draws its z and runs fg (features) and bg (conv0 output zeroed) passes.
 */
const alphaWorkload = (): Workload => {
  const gan = createStyleGan();
  const alpha = createAlphaNetParams({ featureChannels: featureChannels(), lateralChannels: 3, negativeSlope: 0.2 }, new Rng('bench-alpha'));
  const aVars = alphaNetVariables(alpha), dVars = Object.values(gan.d);
  const optA = new Adam(aVars, { lr: 1.6e-4, beta1: 0, beta2: 0.99 ** 0.8, eps: 1e-8 } as AdamConfig);
  const optD = new Adam(dVars, { lr: 2e-4, beta1: 0, beta2: 0.99, eps: 1e-8 } as AdamConfig);
  const real = tf.randomNormal([8, 64, 64, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  let seed = 9;
  const frozenPasses = (): { fg: tf.Tensor4D; bg: tf.Tensor4D; features: tf.Tensor4D[] } => tf.tidy(() => {
    const z = tf.randomNormal([8, gan.zdim], 0, 1, 'float32', seed++) as tf.Tensor2D;
    const f = generateFeatures(gan, z);
    return { fg: f.rgb, bg: generateFeatures(gan, z, true).rgb, features: f.features };
  });
  const composite = (p: { fg: tf.Tensor4D; bg: tf.Tensor4D; features: tf.Tensor4D[] }, a: MaskBatch): tf.Tensor4D =>
    tf.add(tf.mul(p.fg, a), tf.mul(tf.sub(1, a), p.bg)) as tf.Tensor4D;
  return {
    step: () => {
      const pd = frozenPasses();
      const fake = tf.tidy(() => composite(pd, alphaNet(alpha, pd.features)));
      const lossD = minimize(optD, dVars, () => {
        const realGrad = tf.grad((r: tf.Tensor) => tf.sum(discriminate(gan, r as tf.Tensor4D)));
        const r1 = tf.mean(tf.sum(tf.square(realGrad(real)), [1, 2, 3]));
        const logistic = tf.add(tf.mean(softplus(discriminate(gan, fake))), tf.mean(softplus(tf.neg(discriminate(gan, real)))));
        return tf.add(logistic, tf.mul(r1, 5)) as tf.Scalar;
      });
      const pg = frozenPasses();
      const lossA = minimize(optA, aVars, () => {
        const a = alphaNet(alpha, pg.features);
        return alphaGeneratorLoss(discriminate(gan, composite(pg, a)), a, LABELS4FREE_DEFAULTS).total;
      });
      lossD.dataSync();
      lossA.dataSync();
      tf.dispose([pd.fg, pd.bg, ...pd.features, pg.fg, pg.bg, ...pg.features, fake, lossD, lossA]);
    },
    dispose: () => {
      optA.dispose();
      optD.dispose();
      tf.dispose([real, ...aVars, ...Object.values(gan.g), ...dVars]);
    },
    info: { params: countParams(gan.g) + countParams(gan.d) + aVars.reduce((n, v) => n + v.size, 0), alphaParams: aVars.reduce((n, v) => n + v.size, 0) },
  };
};

/** Build a workload by name: conv3x3, conv3x3-tiny, unet64, unet128, sample64, stylegan64, alpha64, demo-unet, dcgan32, direction, pairs1k, segment100, ilsgan64, ganseg64. */
export const makeWorkload = (name: string): Workload => {
  switch (name) {
    case 'conv3x3':
      return convWorkload(8, 64, 64);
    case 'conv3x3-tiny':
      return convWorkload(1, 16, 16);
    case 'unet64':
      return unetWorkload(64);
    case 'unet128':
      return unetWorkload(128);
    case 'sample64':
      return sampleWorkload();
    case 'stylegan64':
      return styleganWorkload();
    case 'alpha64':
      return alphaWorkload();
    case 'demo-unet':
      return demoUnetWorkload();
    case 'dcgan32':
      return dcgan32Workload();
    case 'direction':
      return directionWorkload();
    case 'pairs1k':
      return pairs1kWorkload();
    case 'segment100':
      return segment100Workload();
    case 'ilsgan64':
      return ilsgan64Workload();
    case 'ganseg64':
      return ganseg64Workload();
    default:
      throw new Error(`bench: unknown workload ${name}`);
  }
};
