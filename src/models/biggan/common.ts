/**
 * Helpers shared by the two BigGAN generators.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ConfigError } from '../../core/errors.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape } from '../../core/tensor.ts';

/**
 * Class indices as an int32 tensor [n]: the given ones (checked), or `fallback`
 * for every sample when none are given (throws when there is no fallback).
 * Returns the given tensor itself when it is already int32.
 *
 * @example
 * ```ts
 * const c = classIndices('g.synthesize', [3, 4], 2, 1000, undefined);
 * ```
 */
export const classIndices = (
  where: string, classes: tf.Tensor1D | readonly number[] | undefined, n: number, numClasses: number, fallback: number | undefined,
): tf.Tensor1D => {
  if (classes === undefined) {
    if (fallback === undefined) throw new ConfigError(where, [{ path: 'classes', expected: `${n} class indices in [0, ${numClasses})`, given: 'undefined' }]);
    return tf.fill([n], fallback, 'int32') as tf.Tensor1D;
  }
  if (classes instanceof tf.Tensor) {
    assertShape(where, classes, [n], 'classes');
    return classes.dtype === 'int32' ? classes : (tf.cast(classes, 'int32') as tf.Tensor1D);
  }
  const bad = classes.length !== n || classes.some((c) => !Number.isInteger(c) || c < 0 || c >= numClasses);
  if (bad) throw new ConfigError(where, [{ path: 'classes', expected: `${n} class indices in [0, ${numClasses})`, given: JSON.stringify(classes).slice(0, 80) }]);
  return tf.tensor1d([...classes], 'int32');
};

/**
 * z ~ truncated N(0, 1) on [−2, 2], times `truncation` (BigGAN's truncation trick), by rejection.
 *
 * @example
 * ```ts
 * const z = truncatedNormalLatents(4, 128, new Rng(0), 0.5); // [4,128]
 * ```
 */
export const truncatedNormalLatents = (n: number, dim: number, rng: Rng, truncation = 1): tf.Tensor2D => {
  const a = new Float32Array(n * dim);
  for (let i = 0; i < a.length; i++) {
    let v = rng.normal();
    while (v < -2 || v > 2) v = rng.normal();
    a[i] = v * truncation;
  }
  return tf.tensor2d(a, [n, dim]);
};
