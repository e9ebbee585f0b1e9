/**
 * Tensor types and small shape helpers used everywhere.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from './errors.ts';

/** Images, NHWC float32 in [-1, 1]. */
export type ImageBatch = tf.Tensor4D;
/**
 * Masks, NHWK float32 in [0, 1]: K = 1 a binary foreground mask (the common case); K > 1 class
 * probabilities with channel 0 the background, so the foreground is the union of channels 1…K−1.
 */
export type MaskBatch = tf.Tensor4D;

/** Anything that owns trainable or stored tensors. */
export interface Module {
  /** Every variable the module owns, in a stable order. */
  variables(): tf.Variable[];
  /** Free every tensor the module owns. */
  dispose(): void;
}

/**
 * Check a tensor's shape against a pattern (`null` = any size) and throw a
 * {@link ShapeError} naming `where` if it does not fit.
 *
 * @example
 * ```ts
 * assertShape('unet.apply', x, [null, null, null, 3]); // any NHWC RGB batch
 * ```
 */
export const assertShape = (where: string, x: tf.Tensor, pattern: readonly (number | null)[], name = 'x'): void => {
  const s = x.shape;
  const ok = s.length === pattern.length && pattern.every((p, i) => p === null || p === s[i]);
  if (!ok) {
    const want = `[${pattern.map((p) => (p === null ? '?' : String(p))).join(',')}]`;
    throw new ShapeError(where, `${name} must have shape ${want}, got [${s.join(',')}]`);
  }
};

/**
 * A tensor's data as a plain float array (synchronous; for tests and small outputs).
 *
 * @example
 * ```ts
 * const v = toArray(tf.ones([2, 2])); // Float32Array [1,1,1,1]
 * ```
 */
export const toArray = (x: tf.Tensor): Float32Array => x.dataSync() as Float32Array;

/**
 * Run `f` in a `tf.tidy`, then copy the tensor it returns into a new Float32Array and dispose it.
 * Use it instead of returning `dataSync()` from inside `tf.tidy`: tidy walks what its function returns
 * looking for tensors, and over a typed array that is a loop over every element into a `Set` (tfjs
 * `getTensorsInContainer`) — for a 300×200 mask about as long as the UNet that made it. The copy also
 * keeps the values safe from backends that recycle a disposed tensor's storage.
 *
 * @example
 * ```ts
 * const probs = readTidy(() => tf.sigmoid(logits)); // Float32Array, no tensor left behind
 * ```
 */
export const readTidy = (f: () => tf.Tensor): Float32Array => {
  const t = tf.tidy(f);
  try {
    return new Float32Array(t.dataSync());
  } finally {
    t.dispose();
  }
};

/** Result of {@link countLeaks}. */
export interface LeakCount<T> {
  /** What `f` returned. */
  readonly result: T;
  /** Tensors alive after minus before. */
  readonly leaked: number;
}

/**
 * Run `f` and return its result together with how many tensors it left alive.
 *
 * @example
 * ```ts
 * const { result, leaked } = countLeaks(() => step());
 * ```
 */
export const countLeaks = <T>(f: () => T): LeakCount<T> => {
  const before = tf.memory().numTensors;
  const result = f();
  return { result, leaked: tf.memory().numTensors - before };
};
