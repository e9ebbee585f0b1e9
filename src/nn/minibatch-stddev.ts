/**
 * Minibatch standard deviation (Karras et al. 2018, https://arxiv.org/abs/1710.10196),
 * as StyleGAN2: groups of `groupSize` samples (sample n is in subgroup n mod N/G),
 * one averaged std feature appended as an extra channel.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';

/**
 * Append the minibatch-stddev channel: [N,H,W,C] → [N,H,W,C+1].
 * `group = min(N, groupSize)` must divide N.
 *
 * @example
 * ```ts
 * const y = minibatchStddev(x, 4); // [8,4,4,513] for x [8,4,4,512]
 * ```
 */
export const minibatchStddev = (x: tf.Tensor4D, groupSize = 4): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const g = Math.min(n, groupSize);
    if (n % g !== 0) throw new ShapeError('minibatchStddev', `batch ${n} must be divisible by the group size ${g}`);
    const m = n / g;
    const xg = x.reshape([g, m, h, w, c]);
    const { variance } = tf.moments(xg, 0); // [M,H,W,C]
    const s = tf.mean(tf.sqrt(tf.add(variance, 1e-8)), [1, 2, 3]); // [M]
    const feat = tf.tile(tf.tile(s.reshape([1, m]), [g, 1]).reshape([n, 1, 1, 1]), [1, h, w, 1]); // sample n ← s[n mod M]
    return tf.concat([x, feat as tf.Tensor4D], 3);
  });
