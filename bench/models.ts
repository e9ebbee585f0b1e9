/**
 * Benchmark workloads in tfjs, written to match tools/bench/torch_bench.py op for op.
 *
 * - `unet`: milesial/Pytorch-UNet structure (DoubleConv = (conv3×3 no bias → BatchNorm
 *   (batch statistics, biased variance) → ReLU)×2; 4 × (maxpool 2 + DoubleConv); 4 × (bilinear ×2
 *   align_corners, concat skip, DoubleConv with mid = in/2); 1×1 conv head), base width
 *   44 with the bilinear factor 2 (widths 44, 88, 176, 352, 352) ⇒ 8.16 M parameters,
 *   3 input channels, 1 output logit; loss BCE-with-logits; Adam lr 1e-3.
 * - `stylegan`: a small StyleGAN2-like generator (mapping MLP, modulated 3×3 convs in the
 *   non-fused form: scale input channels by style, conv, demodulate per sample and output
 *   channel; nearest ×2 upsampling; toRGB 1×1 modulated without demodulation; leaky ReLU
 *   0.2) and a residual discriminator (conv3×3 + leaky ReLU, avg-pool 2 downsampling,
 *   linear head); non-saturating logistic loss, R1 (γ = 10) by double backprop on reals.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormRelu, createBatchNorm, type BatchNormParams } from '../src/nn/norm.ts';

type Params = Record<string, tf.Variable>;
const rngSeed = { s: 1 };
const nextSeed = (): number => (rngSeed.s = (rngSeed.s * 48271) % 2147483647);

const heConv = (kh: number, kw: number, cin: number, cout: number): tf.Tensor =>
  tf.randomNormal([kh, kw, cin, cout], 0, Math.sqrt(2 / (kh * kw * cin)), 'float32', nextSeed());

// ---------------------------------------------------------------- UNet

/** UNet parameters (see the module comment). */
export interface UNet {
  /** Trainable parameters (convolutions, BatchNorm γ and β). */
  readonly params: Params;
  /** The BatchNorm layers (γ and β are also in `params`; running statistics are not trainable). */
  readonly norms: Record<string, BatchNormParams>;
  readonly base: number;
}

const doubleConvParams = (p: Params, norms: Record<string, BatchNormParams>, name: string, cin: number, cout: number, mid = cout): void => {
  p[`${name}.c1`] = tf.variable(heConv(3, 3, cin, mid));
  p[`${name}.c2`] = tf.variable(heConv(3, 3, mid, cout));
  for (const [k, c] of [['1', mid], ['2', cout]] as const) {
    const bn = createBatchNorm({ channels: c });
    norms[`${name}.bn${k}`] = bn;
    p[`${name}.g${k}`] = bn.gamma;
    p[`${name}.b${k}`] = bn.beta;
  }
};

/** Build the bench UNet with base width `base` (44 ⇒ 8.16 M parameters). */
export const createUNet = (base = 44, inChannels = 3, outChannels = 1): UNet => {
  const p: Params = {};
  const norms: Record<string, BatchNormParams> = {};
  const b = base;
  const f = 2;
  doubleConvParams(p, norms, 'inc', inChannels, b);
  doubleConvParams(p, norms, 'down1', b, 2 * b);
  doubleConvParams(p, norms, 'down2', 2 * b, 4 * b);
  doubleConvParams(p, norms, 'down3', 4 * b, 8 * b);
  doubleConvParams(p, norms, 'down4', 8 * b, (16 * b) / f);
  const ups: [number, number][] = [
    [(16 * b) / f + 8 * b, (8 * b) / f],
    [(8 * b) / f + 4 * b, (4 * b) / f],
    [(4 * b) / f + 2 * b, (2 * b) / f],
    [(2 * b) / f + b, b],
  ];
  ups.forEach(([cin, cout], i) => doubleConvParams(p, norms, `up${i + 1}`, cin, cout, Math.floor(cin / 2)));
  p['outc.w'] = tf.variable(heConv(1, 1, b, outChannels));
  p['outc.b'] = tf.variable(tf.zeros([outChannels]));
  return { params: p, norms, base };
};

// Every block runs in its own tf.tidy, as the library's layers do (STYLE.md): what the
// gradient tape does not keep is freed when the block returns, not at the end of the pass.
// BatchNorm + ReLU is the library's `batchNormRelu` (src/nn/norm.ts) in training mode, running
// statistics updated as PyTorch's BatchNorm2d does: one fused kernel forward and one backward
// with the native kernels, the composed tfjs ops elsewhere.
const doubleConv = (net: UNet, name: string, x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const p = net.params;
    let h = tf.conv2d(x, p[`${name}.c1`] as tf.Tensor4D, 1, 'same');
    h = batchNormRelu(net.norms[`${name}.bn1`]!, h, true);
    h = tf.conv2d(h, p[`${name}.c2`] as tf.Tensor4D, 1, 'same');
    return batchNormRelu(net.norms[`${name}.bn2`]!, h, true);
  });

/** Forward pass: NHWC image → NHW1 logits. */
export const unetForward = (net: UNet, x: tf.Tensor4D): tf.Tensor4D => {
  const p = net.params;
  const x1 = doubleConv(net, 'inc', x);
  const down = (name: string, h: tf.Tensor4D): tf.Tensor4D => tf.tidy(() => doubleConv(net, name, tf.maxPool(h, 2, 2, 'valid')));
  const x2 = down('down1', x1);
  const x3 = down('down2', x2);
  const x4 = down('down3', x3);
  const x5 = down('down4', x4);
  const up = (name: string, h: tf.Tensor4D, skip: tf.Tensor4D): tf.Tensor4D =>
    tf.tidy(() => {
      const u = tf.image.resizeBilinear(h, [skip.shape[1], skip.shape[2]], true);
      return doubleConv(net, name, tf.concat([skip, u], 3));
    });
  let h = up('up1', x5, x4);
  h = up('up2', h, x3);
  h = up('up3', h, x2);
  h = up('up4', h, x1);
  return tf.add(tf.conv2d(h, p['outc.w'] as tf.Tensor4D, 1, 'valid'), p['outc.b']!);
};

/** Mean binary cross-entropy with logits (the numerically stable form PyTorch uses). */
export const bceWithLogits = (logits: tf.Tensor, target: tf.Tensor): tf.Scalar =>
  tf.mean(tf.add(tf.sub(tf.relu(logits), tf.mul(logits, target)), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))));

/** Parameter count of a record. */
export const countParams = (p: Params): number => Object.values(p).reduce((a, v) => a + v.size, 0);

// ---------------------------------------------------------------- StyleGAN2-like G and D

const linearParams = (p: Params, name: string, cin: number, cout: number, biasInit = 0): void => {
  p[`${name}.w`] = tf.variable(tf.randomNormal([cin, cout], 0, 1 / Math.sqrt(cin), 'float32', nextSeed()));
  p[`${name}.b`] = tf.variable(tf.fill([cout], biasInit));
};
const linear = (p: Params, name: string, x: tf.Tensor2D): tf.Tensor2D => tf.add(tf.matMul(x, p[`${name}.w`] as tf.Tensor2D), p[`${name}.b`]!);

const modConvParams = (p: Params, name: string, cin: number, cout: number, k: number, wdim: number): void => {
  p[`${name}.weight`] = tf.variable(tf.randomNormal([k, k, cin, cout], 0, 1, 'float32', nextSeed()));
  linearParams(p, `${name}.affine`, wdim, cin, 1);
};

/** Modulated conv, non-fused form: scale input channels by the style, conv, demodulate. */
const modConv = (p: Params, name: string, x: tf.Tensor4D, w: tf.Tensor2D, demod: boolean): tf.Tensor4D => tf.tidy(() => {
  const weight = p[`${name}.weight`] as tf.Tensor4D;
  const [k, , cin, cout] = weight.shape;
  const s = linear(p, `${name}.affine`, w); // [N, cin]
  const wt = tf.mul(weight, 1 / Math.sqrt(cin * k * k)) as tf.Tensor4D;
  const n = x.shape[0];
  let y = tf.conv2d(tf.mul(x, tf.reshape(s, [n, 1, 1, cin])) as tf.Tensor4D, wt, 1, 'same');
  if (demod) {
    const d = tf.rsqrt(tf.add(tf.matMul(tf.square(s), tf.sum(tf.square(wt), [0, 1]) as tf.Tensor2D), 1e-8)); // [N, cout]
    y = tf.mul(y, tf.reshape(d, [n, 1, 1, cout]));
  }
  return y;
});

/** A StyleGAN2 layer: modulated conv (demodulated), bias, leaky ReLU 0.2. */
const styledConv = (p: Params, name: string, bias: string, x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D =>
  tf.tidy(() => tf.leakyRelu(tf.add(modConv(p, name, x, w, true), p[bias]!), 0.2));

/** A discriminator layer: conv, bias, leaky ReLU 0.2. */
const convAct = (x: tf.Tensor4D, w: tf.Variable, b: tf.Variable, pad: 'same' | 'valid'): tf.Tensor4D =>
  tf.tidy(() => tf.leakyRelu(tf.add(tf.conv2d(x, w as tf.Tensor4D, 1, pad), b), 0.2));

const up2 = (x: tf.Tensor4D): tf.Tensor4D => tf.image.resizeNearestNeighbor(x, [x.shape[1] * 2, x.shape[2] * 2]);

/** Generator and discriminator parameters. */
export interface StyleGan {
  readonly g: Params;
  readonly d: Params;
  readonly zdim: number;
}

const G_CH = [256, 256, 128, 64, 32];
const D_CH = [32, 64, 128, 256, 256];

/** Build the small StyleGAN2-like G (4→64) and residual D (64→4). */
export const createStyleGan = (zdim = 128, nmap = 4): StyleGan => {
  const g: Params = {};
  for (let i = 0; i < nmap; i++) linearParams(g, `map${i}`, zdim, zdim);
  g['const'] = tf.variable(tf.randomNormal([1, 4, 4, G_CH[0]!], 0, 1, 'float32', nextSeed()));
  modConvParams(g, 'conv0', G_CH[0]!, G_CH[0]!, 3, zdim);
  g['bias0'] = tf.variable(tf.zeros([G_CH[0]!]));
  modConvParams(g, 'rgb0', G_CH[0]!, 3, 1, zdim);
  let cin = G_CH[0]!;
  G_CH.slice(1).forEach((c, i) => {
    modConvParams(g, `b${i}.c1`, cin, c, 3, zdim);
    modConvParams(g, `b${i}.c2`, c, c, 3, zdim);
    g[`b${i}.bias1`] = tf.variable(tf.zeros([c]));
    g[`b${i}.bias2`] = tf.variable(tf.zeros([c]));
    modConvParams(g, `b${i}.rgb`, c, 3, 1, zdim);
    cin = c;
  });
  const d: Params = {};
  d['frgb.w'] = tf.variable(heConv(1, 1, 3, D_CH[0]!));
  d['frgb.b'] = tf.variable(tf.zeros([D_CH[0]!]));
  for (let i = 0; i + 1 < D_CH.length; i++) {
    const a = D_CH[i]!, b = D_CH[i + 1]!;
    d[`blk${i}.c1`] = tf.variable(heConv(3, 3, a, a));
    d[`blk${i}.b1`] = tf.variable(tf.zeros([a]));
    d[`blk${i}.c2`] = tf.variable(heConv(3, 3, a, b));
    d[`blk${i}.b2`] = tf.variable(tf.zeros([b]));
    d[`blk${i}.skip`] = tf.variable(heConv(1, 1, a, b));
  }
  const last = D_CH[D_CH.length - 1]!;
  linearParams(d, 'fc', last * 16, last);
  linearParams(d, 'out', last, 1);
  return { g, d, zdim };
};

/**
 * Generator with its StyledConv outputs: z [N, zdim] → NHWC 64×64×3 and, per block from 8×8 on, both
 * StyledConv outputs (the maps Labels4Free's alpha net reads). `zeroConv0` zeroes conv0's output
 * (Labels4Free's background pass, `back=True` at sizes other than 512).
 */
export const generateFeatures = (gan: StyleGan, z: tf.Tensor2D, zeroConv0 = false): { rgb: tf.Tensor4D; features: tf.Tensor4D[] } => {
  const p = gan.g;
  let w = z;
  for (let i = 0; p[`map${i}.w`]; i++) w = tf.leakyRelu(linear(p, `map${i}`, w), 0.2);
  const n = z.shape[0];
  let x = tf.tile(p['const']!, [n, 1, 1, 1]) as tf.Tensor4D;
  x = styledConv(p, 'conv0', 'bias0', x, w);
  if (zeroConv0) x = tf.mul(x, 0);
  let rgb = modConv(p, 'rgb0', x, w, false);
  const features: tf.Tensor4D[] = [];
  for (let i = 0; p[`b${i}.c1.weight`]; i++) {
    const xi = x, ri = rgb;
    let h1: tf.Tensor4D;
    [h1, x, rgb] = tf.tidy(() => {
      const a = styledConv(p, `b${i}.c1`, `b${i}.bias1`, up2(xi), w);
      const h = styledConv(p, `b${i}.c2`, `b${i}.bias2`, a, w);
      return [a, h, tf.add(up2(ri), modConv(p, `b${i}.rgb`, h, w, false))] as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
    });
    features.push(h1, x);
  }
  return { rgb, features };
};

/** Generator: z [N, zdim] → NHWC 64×64×3. */
export const generate = (gan: StyleGan, z: tf.Tensor2D): tf.Tensor4D => generateFeatures(gan, z).rgb;

/** Channels of {@link generateFeatures}' maps: two per block, 8×8 to 64×64. */
export const featureChannels = (): number[] => G_CH.slice(1).flatMap((c) => [c, c]);

/** Discriminator: NHWC 64×64×3 → logits [N, 1]. */
export const discriminate = (gan: StyleGan, img: tf.Tensor4D): tf.Tensor2D => {
  const p = gan.d;
  let x = convAct(img, p['frgb.w']!, p['frgb.b']!, 'valid');
  for (let i = 0; p[`blk${i}.c1`]; i++) {
    const xi = x;
    x = tf.tidy(() => {
      let h = convAct(xi, p[`blk${i}.c1`]!, p[`blk${i}.b1`]!, 'same');
      h = tf.avgPool(convAct(h, p[`blk${i}.c2`]!, p[`blk${i}.b2`]!, 'same'), 2, 2, 'valid');
      const skip = tf.conv2d(tf.avgPool(xi, 2, 2, 'valid'), p[`blk${i}.skip`] as tf.Tensor4D, 1, 'valid');
      return tf.mul(tf.add(h, skip), Math.SQRT1_2) as tf.Tensor4D;
    });
  }
  const flat = tf.reshape(x, [x.shape[0], -1]) as tf.Tensor2D;
  return linear(p, 'out', tf.leakyRelu(linear(p, 'fc', flat), 0.2));
};
