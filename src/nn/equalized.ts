/**
 * Equalized learning rate layers (Karras et al. 2018, https://arxiv.org/abs/1710.10196):
 * weights stored as N(0, 1/lrMul²) and scaled at runtime by `lrMul / √fanIn`.
 * rosinality's `EqualLinear` / `EqualConv2d`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';
import { fusedLeakyRelu } from './fused-act.ts';
import { constantVariable, normalVariable } from './init.ts';

/** Options of {@link createEqualLinear}. */
export interface EqualLinearOptions {
  /** Input features. */
  readonly inDim: number;
  /** Output features. */
  readonly outDim: number;
  /** Has a bias. Default true. */
  readonly bias?: boolean;
  /** Initial bias value. Default 0 (modulation layers use 1). */
  readonly biasInit?: number;
  /** Learning-rate multiplier. Default 1 (mapping network: 0.01). */
  readonly lrMul?: number;
  /** Apply fused leaky-ReLU after the bias. Default false. */
  readonly activation?: boolean;
}

/** Parameters of an equalized linear layer. Weight layout [in, out]. */
export interface EqualLinear {
  /** [in, out], stored unscaled. */
  readonly weight: tf.Variable;
  /** [out], stored unscaled (multiplied by `lrMul` at runtime). */
  readonly bias: tf.Variable | undefined;
  /** Runtime weight scale `lrMul / √in`. */
  readonly scale: number;
  /** Learning-rate multiplier. */
  readonly lrMul: number;
  /** Fused leaky-ReLU after the bias. */
  readonly activation: boolean;
}

/**
 * Create an equalized linear layer (weights N(0,1)/lrMul, bias `biasInit`).
 *
 * @example
 * ```ts
 * const fc = createEqualLinear({ inDim: 512, outDim: 512, lrMul: 0.01, activation: true }, rng);
 * const y = equalLinear(fc, x);
 * ```
 */
export const createEqualLinear = (o: EqualLinearOptions, rng: Rng): EqualLinear => {
  const lrMul = o.lrMul ?? 1;
  return {
    weight: normalVariable([o.inDim, o.outDim], rng, 1 / lrMul, 'equal_linear.weight'),
    bias: o.bias === false ? undefined : constantVariable([o.outDim], o.biasInit ?? 0, 'equal_linear.bias'),
    scale: lrMul / Math.sqrt(o.inDim),
    lrMul,
    activation: o.activation ?? false,
  };
};

/**
 * Apply an equalized linear layer: `x·(W·scale) + b·lrMul`, then fused leaky-ReLU if configured.
 *
 * @example
 * ```ts
 * const y = equalLinear(fc, tf.randomNormal([4, 512])); // [4, out]
 * ```
 */
export const equalLinear = (p: EqualLinear, x: tf.Tensor2D): tf.Tensor2D =>
  tf.tidy((): tf.Tensor2D => {
    assertShape('equalLinear', x, [null, p.weight.shape[0] as number]);
    const y: tf.Tensor2D = tf.matMul(x, tf.mul(p.weight, p.scale) as tf.Tensor2D);
    const b = p.bias ? (tf.mul(p.bias, p.lrMul) as tf.Tensor1D) : undefined;
    if (p.activation) return fusedLeakyRelu(y, b);
    return b ? tf.add<tf.Tensor2D>(y, b) : y;
  });

/** Variables of an {@link EqualLinear}. */
export const equalLinearVariables = (p: EqualLinear): tf.Variable[] => (p.bias ? [p.weight, p.bias] : [p.weight]);

/** Options of {@link createEqualConv2d}. */
export interface EqualConv2dOptions {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Square kernel size. */
  readonly kernelSize: number;
  /** Stride. Default 1. */
  readonly stride?: number;
  /** Zero padding on each side. Default 0. */
  readonly padding?: number;
  /** Has a bias. Default true. */
  readonly bias?: boolean;
}

/** Parameters of an equalized conv. Weight layout HWIO. */
export interface EqualConv2d {
  /** [k, k, in, out], stored unscaled. */
  readonly weight: tf.Variable;
  /** [out] or undefined. */
  readonly bias: tf.Variable | undefined;
  /** Runtime scale `1/√(in·k²)`. */
  readonly scale: number;
  /** Stride. */
  readonly stride: number;
  /** Zero padding on each side. */
  readonly padding: number;
}

/**
 * Create an equalized conv (weights N(0,1), bias 0).
 *
 * @example
 * ```ts
 * const conv = createEqualConv2d({ inChannels: 3, outChannels: 64, kernelSize: 3, padding: 1 }, rng);
 * ```
 */
export const createEqualConv2d = (o: EqualConv2dOptions, rng: Rng): EqualConv2d => ({
  weight: normalVariable([o.kernelSize, o.kernelSize, o.inChannels, o.outChannels], rng, 1, 'equal_conv.weight'),
  bias: o.bias === false ? undefined : constantVariable([o.outChannels], 0, 'equal_conv.bias'),
  scale: 1 / Math.sqrt(o.inChannels * o.kernelSize * o.kernelSize),
  stride: o.stride ?? 1,
  padding: o.padding ?? 0,
});

/**
 * Apply an equalized conv on NHWC.
 *
 * @example
 * ```ts
 * const y = equalConv2d(conv, x); // [N,H,W,64]
 * ```
 */
export const equalConv2d = (p: EqualConv2d, x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('equalConv2d', x, [null, null, null, p.weight.shape[2] as number]);
    const q = p.padding;
    // The convolution's own padding (no padded copy of x, nor a slice in its gradient).
    const y = tf.conv2d(x, tf.mul(p.weight, p.scale) as tf.Tensor4D, p.stride, q > 0 ? [[0, 0], [q, q], [q, q], [0, 0]] : 'valid');
    return p.bias ? tf.add(y, p.bias) : y;
  });

/** Variables of an {@link EqualConv2d}. */
export const equalConv2dVariables = (p: EqualConv2d): tf.Variable[] => (p.bias ? [p.weight, p.bias] : [p.weight]);
