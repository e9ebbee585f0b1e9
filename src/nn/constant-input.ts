/**
 * StyleGAN's learned constant input [1, size, size, C], repeated over the batch.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { normalVariable } from './init.ts';

/** Parameters of a constant input. */
export interface ConstantInput {
  /** [1, size, size, C], initialised N(0,1). */
  readonly input: tf.Variable;
}

/**
 * Create a constant input.
 *
 * @example
 * ```ts
 * const c = createConstantInput(512, 4, rng);
 * ```
 */
export const createConstantInput = (channels: number, size: number, rng: Rng): ConstantInput => ({
  input: normalVariable([1, size, size, channels], rng, 1, 'constant_input'),
});

/**
 * The constant, repeated `batch` times: [batch, size, size, C].
 *
 * @example
 * ```ts
 * const x = constantInput(c, 8); // [8,4,4,512]
 * ```
 */
export const constantInput = (p: ConstantInput, batch: number): tf.Tensor4D =>
  tf.tidy(() => tf.tile(p.input as tf.Tensor4D, [batch, 1, 1, 1]));
