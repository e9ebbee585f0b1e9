/**
 * Gradient regularizers: R1 (Mescheder et al. 2018) and StyleGAN2's path-length
 * penalty (Karras et al. 2020). Both are meant to be called inside
 * `tf.variableGrads`, which makes them second-order.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../core/tensor.ts';

/**
 * R1 penalty `mean_n ‖∇ₓ D(x_n)‖²` on real images (without the γ/2 factor).
 * https://arxiv.org/abs/1801.04406 — differentiable w.r.t. D's variables.
 *
 * @example
 * ```ts
 * const { grads } = tf.variableGrads(() => tf.mul(r1Penalty(d, reals), gamma / 2 * interval), dVars);
 * ```
 */
export const r1Penalty = (discriminator: (x: tf.Tensor4D) => tf.Tensor, reals: tf.Tensor4D): tf.Scalar =>
  tf.tidy(() => {
    assertShape('r1Penalty', reals, [null, null, null, null], 'reals');
    const g = tf.grad((x: tf.Tensor) => tf.sum(discriminator(x as tf.Tensor4D)))(reals); // [N,H,W,C]
    return tf.mean(tf.sum(tf.square(g), [1, 2, 3]));
  });

/** Output of {@link pathLengthPenalty}. */
export interface PathLengthResult {
  /** `mean((‖Jᵀy‖ - a)²)`, differentiable w.r.t. the generator's variables. */
  readonly penalty: tf.Scalar;
  /** The batch's mean path length `mean ‖Jᵀy‖` (a plain number, for the running average). */
  readonly pathMean: tf.Scalar;
}

/**
 * StyleGAN2 path-length penalty: `‖Jᵀ_w y‖` with `y ~ N(0, I)/√(HW)` should stay
 * near its running mean `a` (https://arxiv.org/abs/1912.04958 §3.2).
 * `noise` is passed in so the caller owns the randomness (an `Rng`).
 *
 * @example
 * ```ts
 * const { penalty, pathMean } = pathLengthPenalty(w => g(w), w, noise, meanPathLength);
 * a = a + 0.01 * (pathMean - a);
 * ```
 */
export const pathLengthPenalty = (
  synthesis: (w: tf.Tensor) => tf.Tensor4D,
  latents: tf.Tensor,
  noise: tf.Tensor4D,
  meanPathLength: number,
): PathLengthResult =>
  tf.tidy(() => {
    let shape: number[] = [];
    const g = tf.grad((w: tf.Tensor) => {
      const img = synthesis(w);
      shape = img.shape;
      return tf.sum(tf.mul(img, noise));
    })(latents);
    const [, h, w] = shape as [number, number, number, number];
    const scaled = tf.div(g, Math.sqrt(h * w));
    const axes = scaled.shape.map((_, i) => i).slice(1);
    const lengths = tf.sqrt(tf.sum(tf.square(scaled), axes)); // [N]
    return { penalty: tf.mean(tf.square(tf.sub(lengths, meanPathLength))) as tf.Scalar, pathMean: tf.mean(lengths) as tf.Scalar };
  });
