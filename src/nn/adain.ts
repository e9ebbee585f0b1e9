/**
 * Adaptive instance normalization (Huang & Belongie 2017, https://arxiv.org/abs/1703.06868;
 * StyleGAN1): `γ · (x − μ)/σ + β` with per-sample, per-channel γ, β from the style.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';
import { createEqualLinear, equalLinear, equalLinearVariables, type EqualLinear } from './equalized.ts';

/**
 * Instance normalization over H, W (biased variance), as PyTorch's `instance_norm`.
 *
 * @example
 * ```ts
 * const y = instanceNorm(x); // per sample and channel: mean 0, var ≈ 1
 * ```
 */
export const instanceNorm = (x: tf.Tensor4D, eps = 1e-5): tf.Tensor4D =>
  tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [1, 2], true);
    return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
  });

/**
 * AdaIN with explicit γ, β [N,C].
 *
 * @example
 * ```ts
 * const y = adain(x, gamma, beta);
 * ```
 */
export const adain = (x: tf.Tensor4D, gamma: tf.Tensor2D, beta: tf.Tensor2D, eps = 1e-5): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, , , c] = x.shape;
    assertShape('adain', gamma, [n, c], 'gamma');
    assertShape('adain', beta, [n, c], 'beta');
    return tf.add(tf.mul(instanceNorm(x, eps), gamma.reshape([n, 1, 1, c])), beta.reshape([n, 1, 1, c]));
  });

/** Parameters of a style-driven AdaIN (style-based-gan-pytorch's `AdaptiveInstanceNorm`). */
export interface AdaIN {
  /** W → [γ | β], γ bias initialised to 1, β bias to 0. */
  readonly style: EqualLinear;
  /** Channels. */
  readonly channels: number;
}

/**
 * Create a style-driven AdaIN.
 *
 * @example
 * ```ts
 * const a = createAdaIN(64, 512, rng);
 * ```
 */
export const createAdaIN = (channels: number, styleDim: number, rng: Rng): AdaIN => {
  const style = createEqualLinear({ inDim: styleDim, outDim: 2 * channels }, rng);
  const b = new Float32Array(2 * channels);
  b.fill(1, 0, channels);
  tf.tidy(() => (style.bias as tf.Variable).assign(tf.tensor1d(b)));
  return { style, channels };
};

/**
 * Apply a style-driven AdaIN to x [N,H,W,C] with w [N,styleDim].
 *
 * @example
 * ```ts
 * const y = adaIN(a, x, w);
 * ```
 */
export const adaIN = (p: AdaIN, x: tf.Tensor4D, w: tf.Tensor2D): tf.Tensor4D =>
  tf.tidy(() => {
    const s = equalLinear(p.style, w);
    const [gamma, beta] = tf.split(s, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    return adain(x, gamma, beta);
  });

/** Variables of an {@link AdaIN}. */
export const adaINVariables = (p: AdaIN): tf.Variable[] => equalLinearVariables(p.style);
