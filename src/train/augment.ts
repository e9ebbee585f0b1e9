/**
 * DiffAugment (Zhao et al. 2020, https://arxiv.org/abs/2006.10738): color,
 * translation and cutout applied to both real and fake images before the
 * discriminator, differentiable w.r.t. the images, all randomness from an
 * {@link Rng}. Translation uses one-hot shift matrices (matMul) so its gradient
 * needs no gather/scatter kernels.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import * as t from 'io-ts';
import type { Rng } from '../core/rng.ts';
import { assertShape } from '../core/tensor.ts';

/** A DiffAugment policy: which transforms, in order. Paper for small data: `['color', 'translation', 'cutout']`. */
export const DiffAugmentPolicy = t.array(t.union([t.literal('color'), t.literal('translation'), t.literal('cutout')]));
/** A DiffAugment policy. */
export type DiffAugmentPolicy = t.TypeOf<typeof DiffAugmentPolicy>;

const perSample = (n: number, f: () => number): tf.Tensor4D => tf.tensor4d(Array.from({ length: n }, f), [n, 1, 1, 1]);

/**
 * DiffAugment color: brightness `+ (u - 0.5)`, saturation `× 2u` about the
 * channel mean, contrast `× (u + 0.5)` about the image mean, u ~ U[0,1) per image.
 *
 * @example
 * ```ts
 * const y = augmentColor(x, rng); // x [N,H,W,C]
 * ```
 */
export const augmentColor = (x: tf.Tensor4D, rng: Rng): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('augmentColor', x, [null, null, null, null]);
    const n = x.shape[0];
    let y: tf.Tensor4D = tf.add(x, perSample(n, () => rng.uniform() - 0.5));
    const cMean = tf.mean(y, 3, true);
    y = tf.add(tf.mul(tf.sub(y, cMean), perSample(n, () => rng.uniform() * 2)), cMean);
    const iMean = tf.mean(y, [1, 2, 3], true);
    return tf.add(tf.mul(tf.sub(y, iMean), perSample(n, () => rng.uniform() + 0.5)), iMean);
  });

/** One-hot shift matrices [N,S,S]: row i picks source i - shift (zero outside). */
const shiftMatrices = (shifts: readonly number[], size: number): tf.Tensor3D => {
  const m = new Float32Array(shifts.length * size * size);
  shifts.forEach((s, n) => {
    for (let i = 0; i < size; i++) {
      const src = i - s;
      if (src >= 0 && src < size) m[n * size * size + i * size + src] = 1;
    }
  });
  return tf.tensor3d(m, [shifts.length, size, size]);
};

/**
 * DiffAugment translation by up to `ratio`·size pixels per axis, zero padded.
 *
 * @example
 * ```ts
 * const y = augmentTranslation(x, rng, 0.125);
 * ```
 */
export const augmentTranslation = (x: tf.Tensor4D, rng: Rng, ratio = 0.125): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('augmentTranslation', x, [null, null, null, null]);
    const [n, h, w, c] = x.shape;
    const sh = Math.floor(h * ratio + 0.5), sw = Math.floor(w * ratio + 0.5);
    const dy = Array.from({ length: n }, () => rng.int(-sh, sh + 1));
    const dx = Array.from({ length: n }, () => rng.int(-sw, sw + 1));
    const rows = tf.matMul(shiftMatrices(dy, h), tf.reshape(x, [n, h, w * c])); // [N,H,W*C]
    const t1 = tf.reshape(tf.transpose(tf.reshape(rows, [n, h, w, c]), [0, 2, 1, 3]), [n, w, h * c]); // [N,W,H*C]
    const cols = tf.matMul(shiftMatrices(dx, w), t1);
    return tf.transpose(tf.reshape(cols, [n, w, h, c]), [0, 2, 1, 3]) as tf.Tensor4D;
  });

/**
 * DiffAugment cutout: zero one square of side `ratio`·size at a random centre per image.
 *
 * @example
 * ```ts
 * const y = augmentCutout(x, rng, 0.5);
 * ```
 */
export const augmentCutout = (x: tf.Tensor4D, rng: Rng, ratio = 0.5): tf.Tensor4D =>
  tf.tidy(() => {
    assertShape('augmentCutout', x, [null, null, null, null]);
    const [n, h, w] = x.shape;
    const ch = Math.floor(h * ratio + 0.5), cw = Math.floor(w * ratio + 0.5);
    const mask = new Float32Array(n * h * w).fill(1);
    for (let k = 0; k < n; k++) {
      const oy = rng.int(0, h + (1 - (ch % 2))), ox = rng.int(0, w + (1 - (cw % 2)));
      for (let i = Math.max(0, oy - (ch >> 1)); i < Math.min(h, oy - (ch >> 1) + ch); i++) {
        for (let j = Math.max(0, ox - (cw >> 1)); j < Math.min(w, ox - (cw >> 1) + cw); j++) mask[k * h * w + i * w + j] = 0;
      }
    }
    return tf.mul(x, tf.tensor4d(mask, [n, h, w, 1]));
  });

/**
 * Apply a DiffAugment policy. Use the same call (fresh draws) on reals and fakes.
 *
 * @example
 * ```ts
 * const dReal = d(diffAugment(reals, ['color', 'translation', 'cutout'], rng));
 * ```
 */
export const diffAugment = (x: tf.Tensor4D, policy: DiffAugmentPolicy, rng: Rng): tf.Tensor4D =>
  tf.tidy(() =>
    policy.reduce<tf.Tensor4D>(
      (y, p) => (p === 'color' ? augmentColor(y, rng) : p === 'translation' ? augmentTranslation(y, rng) : augmentCutout(y, rng)),
      x,
    ),
  );
