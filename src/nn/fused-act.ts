/**
 * Fused bias + leaky ReLU + gain (StyleGAN2's `fused_leaky_relu`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';

/** Leaky-ReLU slope of StyleGAN2. */
export const LRELU_SLOPE = 0.2;
/** Gain that keeps the activation's second moment: √2. */
export const LRELU_GAIN = Math.SQRT2;

/**
 * `leakyRelu(x + bias, 0.2) · √2`, bias broadcast along the last (channel) axis.
 * Works for [N,C] and [N,H,W,C].
 *
 * @example
 * ```ts
 * const y = fusedLeakyRelu(tf.tensor2d([[-1, 2]]), tf.tensor1d([0, 1])); // [[-0.2828, 4.2426]]
 * ```
 */
export const fusedLeakyRelu = <T extends tf.Tensor>(x: T, bias?: tf.Tensor1D, slope = LRELU_SLOPE, gain = LRELU_GAIN): T =>
  tf.tidy(() => {
    const c = x.shape[x.rank - 1];
    if (bias !== undefined && bias.shape[0] !== c) {
      throw new ShapeError('fusedLeakyRelu', `bias must have shape [${c}], got [${bias.shape.join(',')}]`);
    }
    const y = bias === undefined ? x : tf.add(x, bias);
    return tf.mul(tf.leakyRelu(y, slope), gain) as T;
  });
