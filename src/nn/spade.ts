/**
 * SPADE: spatially-adaptive normalization (Park et al. 2019, https://arxiv.org/abs/1903.07291).
 * `norm(x) · (1 + γ(m)) + β(m)`, with γ, β predicted from the segmentation map
 * `m` (nearest-resized to x) by conv3×3 ⇒ ReLU ⇒ two conv3×3 heads.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';
import { instanceNorm } from './adain.ts';
import { constantVariable, normalVariable } from './init.ts';

/** Options of {@link createSpade}. */
export interface SpadeOptions {
  /** Channels of the normalized features. */
  readonly channels: number;
  /** Channels of the segmentation map (label classes). */
  readonly labelChannels: number;
  /** Hidden channels of the shared conv. Paper: 128. */
  readonly hidden?: number;
  /** Parameter-free normalization: `instance` or `batch` (batch statistics). Paper: batch (synchronized). Default `instance`. */
  readonly norm?: 'instance' | 'batch';
}

/** Parameters of a SPADE layer; conv weights HWIO. */
export interface Spade {
  /** [3,3,labels,hidden]. */
  readonly sharedWeight: tf.Variable;
  /** [hidden]. */
  readonly sharedBias: tf.Variable;
  /** [3,3,hidden,C]. */
  readonly gammaWeight: tf.Variable;
  /** [C]. */
  readonly gammaBias: tf.Variable;
  /** [3,3,hidden,C]. */
  readonly betaWeight: tf.Variable;
  /** [C]. */
  readonly betaBias: tf.Variable;
  /** Parameter-free normalization. */
  readonly norm: 'instance' | 'batch';
}

/**
 * Create a SPADE layer (weights N(0, 1/fanIn), biases 0).
 *
 * @example
 * ```ts
 * const sp = createSpade({ channels: 64, labelChannels: 2 }, rng);
 * ```
 */
export const createSpade = (o: SpadeOptions, rng: Rng): Spade => {
  const h = o.hidden ?? 128;
  return {
    sharedWeight: normalVariable([3, 3, o.labelChannels, h], rng, 1 / Math.sqrt(9 * o.labelChannels), 'spade.shared.weight'),
    sharedBias: constantVariable([h], 0, 'spade.shared.bias'),
    gammaWeight: normalVariable([3, 3, h, o.channels], rng, 1 / Math.sqrt(9 * h), 'spade.gamma.weight'),
    gammaBias: constantVariable([o.channels], 0, 'spade.gamma.bias'),
    betaWeight: normalVariable([3, 3, h, o.channels], rng, 1 / Math.sqrt(9 * h), 'spade.beta.weight'),
    betaBias: constantVariable([o.channels], 0, 'spade.beta.bias'),
    norm: o.norm ?? 'instance',
  };
};

const conv3 = (x: tf.Tensor4D, w: tf.Variable, b: tf.Variable): tf.Tensor4D =>
  tf.add(tf.conv2d(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), w as tf.Tensor4D, 1, 'valid'), b);

/**
 * Apply SPADE to x [N,H,W,C] with segmentation map [N,Hm,Wm,labels].
 *
 * @example
 * ```ts
 * const y = spade(sp, x, onehotMask);
 * ```
 */
export const spade = (p: Spade, x: tf.Tensor4D, segmap: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, w] = x.shape;
    assertShape('spade', x, [null, null, null, p.gammaBias.shape[0] as number]);
    assertShape('spade', segmap, [n, null, null, p.sharedWeight.shape[2] as number], 'segmap');
    let normed: tf.Tensor4D;
    if (p.norm === 'instance') normed = instanceNorm(x);
    else {
      const { mean, variance } = tf.moments(x, [0, 1, 2], true);
      normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5)));
    }
    const m = segmap.shape[1] === h && segmap.shape[2] === w ? segmap : tf.image.resizeNearestNeighbor(segmap, [h, w]);
    const act = tf.relu(conv3(m, p.sharedWeight, p.sharedBias));
    const gamma = conv3(act, p.gammaWeight, p.gammaBias), beta = conv3(act, p.betaWeight, p.betaBias);
    return tf.add(tf.mul(normed, tf.add(gamma, 1)), beta);
  });

/** Variables of a {@link Spade}. */
export const spadeVariables = (p: Spade): tf.Variable[] => [p.sharedWeight, p.sharedBias, p.gammaWeight, p.gammaBias, p.betaWeight, p.betaBias];
