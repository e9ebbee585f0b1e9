/**
 * Small ops shared by the BigGAN generators.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Nearest-neighbour 2× upsampling of [N,H,W,C] (`F.interpolate(scale_factor=2)`), exact and differentiable.
 *
 * @example
 * ```ts
 * const y = upsampleNearest2x(x); // [N,2H,2W,C]
 * ```
 */
export const upsampleNearest2x = (x: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    // Ranks ≤ 4 only: tfjs has no tile gradient beyond rank 4.
    const wide = tf.tile(x.reshape([n * h, w, 1, c]), [1, 1, 2, 1]);                 // [NH, W, 2, C]
    return tf.tile(wide.reshape([n * h, 1, 2 * w * c]), [1, 2, 1]).reshape([n, 2 * h, 2 * w, c]) as tf.Tensor4D;
  });

/**
 * A 2-D convolution with 'same' padding and stride 1 plus an optional bias.
 *
 * @example
 * ```ts
 * const y = convSame(x, filterHWIO, bias);
 * ```
 */
export const convSame = (x: tf.Tensor4D, filter: tf.Tensor4D, bias?: tf.Tensor1D): tf.Tensor4D =>
  tf.tidy(() => {
    const y = tf.conv2d(x, filter, 1, 'same');
    return bias ? (tf.add(y, bias) as tf.Tensor4D) : y;
  });
