/**
 * Exponential moving average of a network's weights (Karras et al. 2018),
 * used for the generator that is sampled and saved.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../core/errors.ts';

/**
 * StyleGAN2-ADA's EMA decay from a half-life in thousands of images:
 * `β = 0.5^(batch / (halfLifeKimg · 1000))`.
 *
 * @example
 * ```ts
 * emaBeta(32, 10); // ≈ 0.99778 (ADA default 10 kimg half-life)
 * ```
 */
export const emaBeta = (batchSize: number, halfLifeKimg: number): number => 0.5 ** (batchSize / Math.max(halfLifeKimg * 1000, 1e-8));

/**
 * In place: `target ← β·target + (1-β)·source` for each pair of variables.
 *
 * @example
 * ```ts
 * emaUpdate(gEma.variables(), g.variables(), 0.999);
 * ```
 */
export const emaUpdate = (target: readonly tf.Variable[], source: readonly tf.Variable[], beta: number): void => {
  if (target.length !== source.length) throw new ShapeError('emaUpdate', `target has ${target.length} variables, source ${source.length}`);
  tf.tidy(() => {
    target.forEach((t, i) => {
      const s = source[i]!;
      if (t.shape.join() !== s.shape.join()) throw new ShapeError('emaUpdate', `variable ${i} (${t.name}): target [${t.shape}] vs source [${s.shape}]`);
      t.assign(tf.add(tf.mul(t, beta), tf.mul(s, 1 - beta)));
    });
  });
};

/**
 * Copy values from `source` into `target` (an EMA's initialisation).
 *
 * @example
 * ```ts
 * copyVariables(gEma.variables(), g.variables());
 * ```
 */
export const copyVariables = (target: readonly tf.Variable[], source: readonly tf.Variable[]): void => {
  if (target.length !== source.length) throw new ShapeError('copyVariables', `target has ${target.length} variables, source ${source.length}`);
  target.forEach((t, i) => t.assign(source[i]!));
};
