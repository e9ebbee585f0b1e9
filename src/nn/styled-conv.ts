/**
 * StyleGAN2 styled conv: modulated conv ⇒ noise injection ⇒ fused leaky-ReLU (with bias).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { fusedLeakyRelu } from './fused-act.ts';
import { constantVariable } from './init.ts';
import { createModulatedConv, modulatedConv, modulatedConvVariables, type ModulatedConv } from './modulated-conv.ts';
import { createNoiseInjection, noiseInjection, type NoiseInjection } from './noise.ts';

/** Parameters of rosinality's `StyledConv`. */
export interface StyledConv {
  /** The modulated conv. */
  readonly conv: ModulatedConv;
  /** Noise strength. */
  readonly noise: NoiseInjection;
  /** Bias of the fused activation, [out]. */
  readonly activateBias: tf.Variable;
}

/** Options of {@link createStyledConv}. */
export interface StyledConvOptions {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** W dimensionality. */
  readonly styleDim: number;
  /** 2× upsampling. Default false. */
  readonly upsample?: boolean;
  /** Kernel size. Default 3. */
  readonly kernelSize?: number;
  /** Blur taps. Default [1, 3, 3, 1]. */
  readonly blurKernel?: readonly number[];
}

/**
 * Create a styled conv.
 *
 * @example
 * ```ts
 * const sc = createStyledConv({ inChannels: 512, outChannels: 256, styleDim: 512, upsample: true }, rng);
 * ```
 */
export const createStyledConv = (o: StyledConvOptions, rng: Rng): StyledConv => ({
  conv: createModulatedConv({ ...o, kernelSize: o.kernelSize ?? 3 }, rng),
  noise: createNoiseInjection(),
  activateBias: constantVariable([o.outChannels], 0, 'styled_conv.bias'),
});

/**
 * Apply a styled conv; `noise` is [1|N, H', W', 1] at the output resolution.
 *
 * @example
 * ```ts
 * const y = styledConv(sc, x, w, noise);
 * ```
 */
export const styledConv = (p: StyledConv, x: tf.Tensor4D, w: tf.Tensor2D, noise: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => fusedLeakyRelu(noiseInjection(p.noise, modulatedConv(p.conv, x, w), noise), p.activateBias as tf.Tensor1D));

/** Variables of a {@link StyledConv}. */
export const styledConvVariables = (p: StyledConv): tf.Variable[] => [...modulatedConvVariables(p.conv), p.noise.weight, p.activateBias];
