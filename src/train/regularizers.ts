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
 * `noise` (`y` before the `1/√(HW)` scaling, the images' shape) is passed in so the
 * caller owns the randomness (an `Rng`); a function receives the images' shape.
 *
 * The length of one sample's gradient `g` is `√(Σ g²)` for latents `[N,D]`, and for
 * per-layer latents `[N,L,D]` it is `√(mean_L Σ_D g²)` (NVlabs stylegan2-ada
 * `pl_grads.square().sum(2).mean(1).sqrt()`).
 *
 * Without `decay` the target is the number `meanPathLength`. With `decay` the target
 * is `a + decay·(mean ‖Jᵀy‖ − a)` computed in the graph, as NVlabs (`pl_mean.lerp`)
 * and rosinality (`g_path_regularize`) do; either way the caller keeps the running
 * mean: `a ← a + decay·(pathMean − a)`.
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
  noise: tf.Tensor4D | ((imageShape: readonly number[]) => tf.Tensor4D),
  meanPathLength: number,
  decay?: number,
): PathLengthResult =>
  tf.tidy(() => {
    let shape: number[] = [];
    const g = tf.grad((w: tf.Tensor) => {
      const img = synthesis(w);
      shape = img.shape;
      return tf.sum(tf.mul(img, typeof noise === 'function' ? noise(img.shape) : noise));
    })(latents);
    const [, h, w] = shape as [number, number, number, number];
    const sq = tf.square(tf.div(g, Math.sqrt(h * w)));
    const perSample = sq.rank === 3 ? tf.mean(tf.sum(sq, 2), 1) : tf.sum(sq, sq.shape.map((_, i) => i).slice(1));
    const lengths = tf.sqrt(perSample); // [N]
    const pathMean = tf.mean(lengths) as tf.Scalar;
    const target = decay === undefined ? tf.scalar(meanPathLength) : tf.add(meanPathLength, tf.mul(tf.sub(pathMean, meanPathLength), decay));
    return { penalty: tf.mean(tf.square(tf.sub(lengths, target))) as tf.Scalar, pathMean };
  });
