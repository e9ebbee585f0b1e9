/**
 * Weight map between rosinality/stylegan2-pytorch state dicts and our
 * parameters: key names verbatim, layouts converted (OIHW → HWIO, [out,in] →
 * [in,out], NCHW → NHWC). Also infers a config from a state dict's shapes.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { decodeOrThrow } from '../../core/codec.ts';
import { WeightsError } from '../../core/errors.ts';
import type { StateDict, StoredTensor } from '../../io/state-dict.ts';
import {
  applyStateDict, hwioFromOihw, inOutFromOutIn, nchwFromNhwc, nhwcFromNchw, oihwFromHwio, outInFromInOut, reshapedTo,
  sameLayout, storedToTensor, toStateDict, type WeightTargets,
} from '../../io/weights.ts';
import type { EqualConv2d, EqualLinear } from '../../nn/equalized.ts';
import type { ModulatedConv } from '../../nn/modulated-conv.ts';
import type { ConvLayer } from '../../nn/resblock.ts';
import type { StyledConv } from '../../nn/styled-conv.ts';
import type { ToRGB } from '../../nn/to-rgb.ts';
import { makeKernel } from '../../nn/upfirdn.ts';
import { STYLEGAN2_DEFAULTS, StyleGAN2Config, defaultChannels } from './config.ts';
import type { StyleGAN2Discriminator } from './discriminator.ts';
import type { StyleGAN2Generator } from './generator.ts';

// ---------------------------------------------------------------------------
// Layout converters
// ---------------------------------------------------------------------------

/** rosinality modulated weight [1,O,I,k,k] → HWIO [k,k,I,O]. */
const hwioFromModulated = (t: StoredTensor): tf.Tensor =>
  tf.tidy(() => {
    const [, o, i, kh, kw] = t.shape as [number, number, number, number, number];
    return tf.transpose(storedToTensor(t).reshape([o, i, kh, kw]), [2, 3, 1, 0]);
  });
const modulatedFromHwio = (x: tf.Tensor): tf.Tensor => tf.tidy(() => tf.transpose(x, [3, 2, 0, 1]).expandDims(0));

const linear = (key: string, p: EqualLinear, into: WeightTargets): void => {
  into.set(`${key}.weight`, { variable: p.weight, fromStored: inOutFromOutIn, toStored: outInFromInOut });
  if (p.bias) into.set(`${key}.bias`, { variable: p.bias, fromStored: sameLayout });
};
const modulated = (key: string, p: ModulatedConv, into: WeightTargets): void => {
  into.set(`${key}.weight`, { variable: p.weight, fromStored: hwioFromModulated, toStored: modulatedFromHwio });
  linear(`${key}.modulation`, p.modulation, into);
};
const styled = (key: string, p: StyledConv, into: WeightTargets): void => {
  modulated(`${key}.conv`, p.conv, into);
  into.set(`${key}.noise.weight`, { variable: p.noise.weight, fromStored: sameLayout });
  into.set(`${key}.activate.bias`, { variable: p.activateBias, fromStored: sameLayout });
};
const rgb = (key: string, p: ToRGB, into: WeightTargets): void => {
  modulated(`${key}.conv`, p.conv, into);
  into.set(`${key}.bias`, { variable: p.bias, fromStored: reshapedTo([3]), storedShape: [1, 3, 1, 1] });
};
const conv = (key: string, p: EqualConv2d, into: WeightTargets): void => {
  into.set(`${key}.weight`, { variable: p.weight, fromStored: hwioFromOihw, toStored: oihwFromHwio });
  if (p.bias) into.set(`${key}.bias`, { variable: p.bias, fromStored: sameLayout });
};
/** ConvLayer is an nn.Sequential: [Blur,] EqualConv2d[, FusedLeakyReLU]. */
const convLayer = (key: string, p: ConvLayer, into: WeightTargets): void => {
  const i = p.blurKernel ? 1 : 0;
  conv(`${key}.${i}`, p.conv, into);
  if (p.activateBias) into.set(`${key}.${i + 1}.bias`, { variable: p.activateBias, fromStored: sameLayout });
};

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/**
 * rosinality key → our variable and layout, for every generator parameter and noise buffer.
 *
 * @example
 * ```ts
 * const targets = generatorWeightTargets(g); // 'convs.0.conv.weight' → HWIO variable, …
 * ```
 */
export const generatorWeightTargets = (g: StyleGAN2Generator): WeightTargets => {
  const p = g.params, m: WeightTargets = new Map();
  p.style.forEach((l, i) => linear(`style.${i + 1}`, l, m));
  m.set('input.input', { variable: p.input.input, fromStored: nhwcFromNchw, toStored: nchwFromNhwc });
  styled('conv1', p.conv1, m);
  rgb('to_rgb1', p.toRgb1, m);
  p.convs.forEach((c, i) => styled(`convs.${i}`, c, m));
  p.toRgbs.forEach((c, i) => rgb(`to_rgbs.${i}`, c, m));
  p.noises.forEach((v, i) => m.set(`noises.noise_${i}`, { variable: v, fromStored: nhwcFromNchw, toStored: nchwFromNhwc }));
  return m;
};

/** Constant FIR buffers rosinality stores in its state dict (`*.blur.kernel`, `*.upsample.kernel`). */
const generatorKernelBuffers = (g: StyleGAN2Generator): Map<string, readonly number[]> => {
  const m = new Map<string, readonly number[]>();
  g.params.convs.forEach((c, i) => { if (c.conv.options.upsample) m.set(`convs.${i}.conv.blur.kernel`, c.conv.options.blurKernel); });
  g.params.toRgbs.forEach((c, i) => m.set(`to_rgbs.${i}.upsample.kernel`, c.blurKernel));
  return m;
};

const kernelTensor = (taps: readonly number[], gain: number): StoredTensor => {
  const k = makeKernel(taps, gain);
  const out: StoredTensor = { dtype: 'float32', shape: k.shape, data: Float32Array.from(k.dataSync()) };
  k.dispose();
  return out;
};

/**
 * Load a rosinality generator state dict (`g_ema` of a `.pt` checkpoint, already
 * decoded). Every key is checked first; one {@link WeightsError} lists all problems.
 * Stored blur kernels are accepted and ignored (they are constants).
 *
 * @example
 * ```ts
 * loadGeneratorStateDict(g, dict, 'stylegan2-ffhq-256.pt:g_ema');
 * ```
 */
export const loadGeneratorStateDict = (g: StyleGAN2Generator, dict: StateDict, where = 'loadGeneratorStateDict'): void => {
  const kernels = generatorKernelBuffers(g);
  applyStateDict(where, dict, generatorWeightTargets(g), { ignore: (k) => kernels.has(k) });
};

/**
 * Our generator → a rosinality state dict (names, layouts, blur-kernel buffers included).
 *
 * @example
 * ```ts
 * const dict = generatorStateDict(g); // loadable by rosinality's Generator.load_state_dict
 * ```
 */
export const generatorStateDict = (g: StyleGAN2Generator): StateDict => {
  const dict = toStateDict(generatorWeightTargets(g));
  for (const [k, taps] of generatorKernelBuffers(g)) dict.set(k, kernelTensor(taps, 4));
  return dict;
};

// ---------------------------------------------------------------------------
// Discriminator
// ---------------------------------------------------------------------------

/**
 * rosinality key → our variable and layout, for every discriminator parameter.
 *
 * @example
 * ```ts
 * const targets = discriminatorWeightTargets(d); // 'convs.1.conv2.1.weight' → …
 * ```
 */
export const discriminatorWeightTargets = (d: StyleGAN2Discriminator): WeightTargets => {
  const p = d.params, m: WeightTargets = new Map();
  convLayer('convs.0', p.fromRgb, m);
  p.blocks.forEach((b, i) => {
    convLayer(`convs.${i + 1}.conv1`, b.conv1, m);
    convLayer(`convs.${i + 1}.conv2`, b.conv2, m);
    convLayer(`convs.${i + 1}.skip`, b.skip, m);
  });
  convLayer('final_conv', p.finalConv, m);
  // PyTorch flattens [C,4,4]; we flatten [4,4,C]: permute the rows of final_linear.0.
  const [fl0, fl1] = p.finalLinear;
  const c4 = fl0.weight.shape[1] as number, cIn = (fl0.weight.shape[0] as number) / 16;
  m.set('final_linear.0.weight', {
    variable: fl0.weight,
    storedShape: [c4, cIn * 16],
    fromStored: (t) => tf.tidy(() => tf.transpose(storedToTensor(t).reshape([c4, cIn, 4, 4]), [2, 3, 1, 0]).reshape([16 * cIn, c4])),
    toStored: (x) => tf.tidy(() => tf.transpose(x.reshape([4, 4, cIn, c4]), [3, 2, 0, 1]).reshape([c4, 16 * cIn])),
  });
  if (fl0.bias) m.set('final_linear.0.bias', { variable: fl0.bias, fromStored: sameLayout });
  linear('final_linear.1', fl1, m);
  return m;
};

const discriminatorKernelBuffers = (d: StyleGAN2Discriminator): Map<string, readonly number[]> => {
  const m = new Map<string, readonly number[]>();
  d.params.blocks.forEach((b, i) => {
    if (b.conv2.blurKernel) m.set(`convs.${i + 1}.conv2.0.kernel`, b.conv2.blurKernel);
    if (b.skip.blurKernel) m.set(`convs.${i + 1}.skip.0.kernel`, b.skip.blurKernel);
  });
  return m;
};

/**
 * Load a rosinality discriminator state dict (`d` of a checkpoint); all keys checked first.
 *
 * @example
 * ```ts
 * loadDiscriminatorStateDict(d, dict, 'ckpt.pt:d');
 * ```
 */
export const loadDiscriminatorStateDict = (d: StyleGAN2Discriminator, dict: StateDict, where = 'loadDiscriminatorStateDict'): void => {
  const kernels = discriminatorKernelBuffers(d);
  applyStateDict(where, dict, discriminatorWeightTargets(d), { ignore: (k) => kernels.has(k) });
};

/**
 * Our discriminator → a rosinality state dict.
 *
 * @example
 * ```ts
 * const dict = discriminatorStateDict(d);
 * ```
 */
export const discriminatorStateDict = (d: StyleGAN2Discriminator): StateDict => {
  const dict = toStateDict(discriminatorWeightTargets(d));
  for (const [k, taps] of discriminatorKernelBuffers(d)) dict.set(k, kernelTensor(taps, 1));
  return dict;
};

// ---------------------------------------------------------------------------
// Config inference
// ---------------------------------------------------------------------------

/**
 * Infer a generator config from a rosinality generator state dict's shapes:
 * resolution (from `to_rgbs.*`), style dim and n_mlp (from `style.*`), and the
 * channel widths — as `channelMultiplier` when they follow rosinality's table,
 * else as an explicit `channels` list. `lrMlp`, blur taps: paper defaults.
 *
 * @example
 * ```ts
 * const g = createStyleGAN2Generator(inferStyleGAN2Config(dict), new Rng(0));
 * loadGeneratorStateDict(g, dict);
 * ```
 */
export const inferStyleGAN2Config = (dict: StateDict, where = 'inferStyleGAN2Config'): StyleGAN2Config => {
  const shape = (k: string): readonly number[] => {
    const t = dict.get(k);
    if (t === undefined) throw new WeightsError(where, `not a rosinality StyleGAN2 generator state dict: key '${k}' is missing`);
    return t.shape;
  };
  let nMlp = 0;
  while (dict.has(`style.${nMlp + 1}.weight`)) nMlp++;
  if (nMlp === 0) shape('style.1.weight');
  const styleDim = shape('style.1.weight')[1] as number;
  let nRgb = 0;
  while (dict.has(`to_rgbs.${nRgb}.conv.weight`)) nRgb++;
  const resolution = 4 * 2 ** nRgb;
  const channels = [shape('input.input')[1] as number];
  for (let i = 0; i < nRgb; i++) channels.push(shape(`to_rgbs.${i}.conv.weight`)[2] as number);
  const multiplier = [1, 2, 4].find((cm) => {
    try { return defaultChannels(resolution, cm).every((c, i) => c === channels[i]); } catch { return false; }
  });
  return decodeOrThrow(
    StyleGAN2Config,
    { ...STYLEGAN2_DEFAULTS, resolution, styleDim, nMlp, channelMultiplier: multiplier ?? 1, ...(multiplier === undefined ? { channels } : {}) },
    where,
  );
};
