/**
 * Conditional batch normalisation with stored statistics (BigGAN's generator
 * in eval mode): `(x − mean) / √(var + eps) · gain + bias`, where gain and bias
 * are per sample (`1 + linear(condition)`, `linear(condition)`).
 *
 * https://arxiv.org/abs/1707.00683
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';
import { assertShape } from '../core/tensor.ts';

/**
 * Normalise `x` [N,H,W,C] with stored `mean`/`variance` [C], then scale and
 * shift by per-sample `gain`/`bias` [N,C] (or shared [C]).
 *
 * @example
 * ```ts
 * const y = conditionalBatchNorm(x, mean, variance, gain, bias, 1e-4); // [N,H,W,C]
 * ```
 */
export const conditionalBatchNorm = (
  x: tf.Tensor4D,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  gain: tf.Tensor2D | tf.Tensor1D,
  bias: tf.Tensor2D | tf.Tensor1D,
  eps: number,
): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, , , c] = x.shape;
    assertShape('conditionalBatchNorm', mean, [c], 'mean');
    assertShape('conditionalBatchNorm', variance, [c], 'variance');
    const perSample = (t: tf.Tensor, name: string): tf.Tensor => {
      if (t.rank === 1) { assertShape('conditionalBatchNorm', t, [c], name); return t; }
      assertShape('conditionalBatchNorm', t, [n, c], name);
      return t.reshape([n, 1, 1, c]);
    };
    const xn = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(xn, perSample(gain, 'gain')), perSample(bias, 'bias')) as tf.Tensor4D;
  });

/**
 * pytorch-pretrained-BigGAN's choice of stored statistics for a truncation:
 * `coef, i = modf(truncation / step)` with `step = 1 / (nStats − 1)`; when
 * `coef ≠ 0` the result is `stats[i]·coef + stats[i+1]·(1 − coef)` (sic: the
 * reference weights the lower index by the fractional part), else `stats[i]`.
 *
 * @example
 * ```ts
 * const mean = truncatedStatistics(runningMeans, 0.4); // [C] from [51,C]
 * ```
 */
export const truncatedStatistics = (stats: tf.Tensor2D, truncation: number): tf.Tensor1D =>
  tf.tidy(() => {
    const nStats = stats.shape[0];
    if (!(truncation > 0 && truncation <= 1)) throw new ShapeError('truncatedStatistics', `truncation must be in (0, 1], got ${truncation}`);
    const step = 1.0 / (nStats - 1);
    const q = truncation / step;
    const start = Math.trunc(q);
    const coef = q - start;
    const row = (i: number): tf.Tensor1D => {
      if (i < 0 || i >= nStats) throw new ShapeError('truncatedStatistics', `statistics index ${i} out of range [0, ${nStats})`);
      return stats.slice([i, 0], [1, -1]).reshape([-1]) as tf.Tensor1D;
    };
    if (coef !== 0) return tf.add(tf.mul(row(start), coef), tf.mul(row(start + 1), 1 - coef)) as tf.Tensor1D;
    return row(start);
  });
