/**
 * StyleGAN2 toRGB with skip connections: a 1×1 modulated conv without
 * demodulation, a bias, plus the FIR-upsampled previous RGB.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { constantVariable } from './init.ts';
import { createModulatedConv, modulatedConv, modulatedConvVariables, type ModulatedConv } from './modulated-conv.ts';
import { upsample2d } from './upfirdn.ts';

/** Parameters of rosinality's `ToRGB`. */
export interface ToRGB {
  /** 1×1 modulated conv, no demodulation. */
  readonly conv: ModulatedConv;
  /** [3] RGB bias. */
  readonly bias: tf.Variable;
  /** Blur taps for the skip upsampling. */
  readonly blurKernel: readonly number[];
}

/**
 * Create a toRGB layer.
 *
 * @example
 * ```ts
 * const rgb = createToRGB(512, 512, rng);
 * ```
 */
export const createToRGB = (inChannels: number, styleDim: number, rng: Rng, blurKernel: readonly number[] = [1, 3, 3, 1]): ToRGB => ({
  conv: createModulatedConv({ inChannels, outChannels: 3, kernelSize: 1, styleDim, demodulate: false }, rng),
  bias: constantVariable([3], 0, 'to_rgb.bias'),
  blurKernel,
});

/**
 * RGB of `x` under style `w`, plus the 2× upsampled `skip` when given.
 *
 * @example
 * ```ts
 * const img = toRGB(rgb, x, w, prevImg); // [N,H,W,3]
 * ```
 */
export const toRGB = (p: ToRGB, x: tf.Tensor4D, w: tf.Tensor2D, skip?: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const y = tf.add(modulatedConv(p.conv, x, w), p.bias) as tf.Tensor4D;
    return skip ? tf.add(y, upsample2d(skip, p.blurKernel)) : y;
  });

/** Variables of a {@link ToRGB}. */
export const toRGBVariables = (p: ToRGB): tf.Variable[] => [...modulatedConvVariables(p.conv), p.bias];
