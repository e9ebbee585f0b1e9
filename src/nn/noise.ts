/**
 * StyleGAN noise injection: `x + weight · noise`, one learned scalar per layer,
 * noise [1 or N, H, W, 1] broadcast over channels.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';
import { constantVariable } from './init.ts';

/** Parameters of a noise injection. */
export interface NoiseInjection {
  /** Scalar strength [1], initialised to 0. */
  readonly weight: tf.Variable;
}

/**
 * Create a noise injection (strength 0).
 *
 * @example
 * ```ts
 * const ni = createNoiseInjection();
 * ```
 */
export const createNoiseInjection = (): NoiseInjection => ({ weight: constantVariable([1], 0, 'noise.weight') });

/**
 * `x + weight · noise`; noise [1|N, H, W, 1].
 *
 * @example
 * ```ts
 * const y = noiseInjection(ni, x, tf.randomNormal([1, 8, 8, 1]));
 * ```
 */
export const noiseInjection = (p: NoiseInjection, x: tf.Tensor4D, noise: tf.Tensor4D): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('noiseInjection', noise, [null, x.shape[1], x.shape[2], 1], 'noise');
    return tf.add(x, tf.mul(noise, p.weight));
  });

/**
 * Fresh N(0,1) noise [n, h, w, 1] from `rng`.
 *
 * @example
 * ```ts
 * const noise = randomNoise(4, 8, 8, rng);
 * ```
 */
export const randomNoise = (n: number, h: number, w: number, rng: Rng): tf.Tensor4D =>
  tf.randomNormal([n, h, w, 1], 0, 1, 'float32', rng.tfSeed());
