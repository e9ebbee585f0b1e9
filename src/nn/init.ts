/**
 * Seeded variable initialisers shared by the layers.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';

/**
 * A variable of N(0, std²) draws from `rng`.
 *
 * @example
 * ```ts
 * const w = normalVariable([3, 3, 8, 16], new Rng(0), 1, 'conv.weight');
 * ```
 */
export const normalVariable = (shape: readonly number[], rng: Rng, std = 1, name?: string): tf.Variable => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.variable(tf.tensor(rng.normalArray(n, 0, std), [...shape], 'float32'), true, name ? uniqueName(name) : undefined));
};

/**
 * A variable of U(−bound, bound) draws from `rng` (PyTorch's default `nn.Linear` / `nn.Conv2d`
 * initialisation with bound 1/√fan_in).
 *
 * @example
 * ```ts
 * const w = uniformVariable([64, 32], new Rng(0), 1 / Math.sqrt(64), 'fc.weight');
 * ```
 */
export const uniformVariable = (shape: readonly number[], rng: Rng, bound: number, name?: string): tf.Variable => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => tf.variable(tf.tensor(rng.uniformArray(n, -bound, bound), [...shape], 'float32'), true, name ? uniqueName(name) : undefined));
};

/**
 * A variable filled with `value`.
 *
 * @example
 * ```ts
 * const b = constantVariable([16], 0, 'conv.bias');
 * ```
 */
export const constantVariable = (shape: readonly number[], value: number, name?: string): tf.Variable =>
  tf.tidy(() => tf.variable(tf.fill([...shape], value, 'float32'), true, name ? uniqueName(name) : undefined));

let counter = 0;
/** tfjs variable names must be globally unique; suffix a counter. */
const uniqueName = (name: string): string => `${name}_${++counter}`;
