/**
 * Losses of the latent-direction method (Melas-Kyriazi et al.), as short named functions.
 * Each takes NHWC images in [-1, 1]; a training step only weights and sums them.
 *
 * Paper: https://arxiv.org/abs/2105.08127 (Melas-Kyriazi et al. 2021), official
 * code `src/optimization/main.py` (`outside_circle_loss`, `sobel_shift_loss`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape, type ImageBatch } from '../../core/tensor.ts';

/** ITU-R 601 luma weights used by the official `rgb2gray` (applied to [-1,1] values). */
export const GREY_WEIGHTS = [0.2989, 0.587, 0.114] as const;

/**
 * Grey level of RGB images: 0.2989 R + 0.5870 G + 0.1140 B, no re-normalisation.
 *
 * @example
 * ```ts
 * const g = rgbToGrey(tf.ones([1, 4, 4, 3])); // [1,4,4] ≈ 0.9999
 * ```
 */
export const rgbToGrey = (images: ImageBatch): tf.Tensor3D =>
  tf.tidy(() => {
    assertShape('rgbToGrey', images, [null, null, null, 3], 'images');
    const [n, h, w] = images.shape;
    const k = tf.tensor1d([...GREY_WEIGHTS]);
    return tf.sum(tf.mul(images, k), 3).reshape([n, h, w]) as tf.Tensor3D; // [N,H,W]
  });

/** Replicate-pad a [N,H,W] tensor by one pixel on each side (slices only, so every backend has the gradient). */
const replicatePad1 = (x: tf.Tensor3D): tf.Tensor3D => {
  const [n, h, w] = x.shape;
  const rows = tf.concat([tf.slice(x, [0, 0, 0], [n, 1, w]), x, tf.slice(x, [0, h - 1, 0], [n, 1, w])], 1);
  return tf.concat([tf.slice(rows, [0, 0, 0], [n, h + 2, 1]), rows, tf.slice(rows, [0, 0, w - 1], [n, h + 2, 1])], 2) as tf.Tensor3D;
};

/**
 * Sobel edge magnitude of grey images, as kornia's `sobel` (normalised 3×3
 * kernels, i.e. divided by 8; replicate padding; √(gx² + gy² + eps)).
 *
 * @example
 * ```ts
 * const e = sobelMagnitude(rgbToGrey(images)); // [N,H,W]
 * ```
 */
export const sobelMagnitude = (grey: tf.Tensor3D, eps = 1e-6): tf.Tensor3D =>
  tf.tidy(() => {
    assertShape('sobelMagnitude', grey, [null, null, null], 'grey');
    const [n, h, w] = grey.shape;
    const p = replicatePad1(grey); // [N,H+2,W+2]
    const at = (dy: number, dx: number): tf.Tensor3D => tf.slice(p, [0, dy, dx], [n, h, w]);
    // gx = ([-1 0 1],[-2 0 2],[-1 0 1]) / 8, gy its transpose.
    const gx = tf.div(tf.addN([tf.sub(at(0, 2), at(0, 0)), tf.mul(tf.sub(at(1, 2), at(1, 0)), 2), tf.sub(at(2, 2), at(2, 0))]), 8);
    const gy = tf.div(tf.addN([tf.sub(at(2, 0), at(0, 0)), tf.mul(tf.sub(at(2, 1), at(0, 1)), 2), tf.sub(at(2, 2), at(0, 2))]), 8);
    return tf.sqrt(tf.add(tf.add(tf.square(gx), tf.square(gy)), eps)) as tf.Tensor3D;
  });

/**
 * The radial prior map of the official `outside_circle_loss`: distance from
 * the centre on a [-1,1]² grid, minus its mean, times 4. [H,W].
 *
 * @example
 * ```ts
 * const c = radialPriorMap(128); // negative inside, positive outside
 * ```
 */
export const radialPriorMap = (size: number): tf.Tensor2D =>
  tf.tidy(() => {
    const v = new Float32Array(size * size);
    const lin = (i: number): number => (size === 1 ? -1 : -1 + (2 * i) / (size - 1));
    let mean = 0;
    for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) mean += v[i * size + j] = Math.hypot(lin(i), lin(j));
    mean /= size * size;
    for (let k = 0; k < v.length; k++) v[k] = ((v[k] as number) - mean) * 4;
    return tf.tensor2d(v, [size, size]);
  });

/**
 * Radial prior ("outside circle") loss: mean over the batch and pixels of
 * grey(shifted) × radial map. Minimising it darkens the border and lightens the
 * centre of the shifted image. Paper weight 2.
 *
 * @example
 * ```ts
 * const l = radialPriorLoss(shifted); // scalar
 * ```
 */
export const radialPriorLoss = (shifted: ImageBatch): tf.Scalar =>
  tf.tidy(() => {
    assertShape('radialPriorLoss', shifted, [null, null, null, 3], 'shifted');
    const [, h, w] = shifted.shape;
    if (h !== w) throw new RangeError(`radialPriorLoss: images must be square, got ${h}×${w}`);
    return tf.mean(tf.mul(rgbToGrey(shifted), radialPriorMap(h))) as tf.Scalar;
  });

/**
 * Sobel shift loss: MSE between the Sobel edge magnitudes of grey(shifted) and
 * grey(original) — the shift must keep the edges where they are. Paper weight 10.
 *
 * @example
 * ```ts
 * const l = sobelShiftLoss(shifted, original); // scalar
 * ```
 */
export const sobelShiftLoss = (shifted: ImageBatch, original: ImageBatch): tf.Scalar =>
  tf.tidy(() => {
    assertShape('sobelShiftLoss', original, shifted.shape, 'original');
    return tf.mean(tf.squaredDifference(sobelMagnitude(rgbToGrey(shifted)), sobelMagnitude(rgbToGrey(original)))) as tf.Scalar;
  });

/** Weights of the latent-direction loss terms. */
export interface LossWeights {
  /** Radial prior on the shifted image. Paper: 2. */
  readonly radialPrior: number;
  /** Sobel edge MSE between shifted and original. Paper: 10. */
  readonly sobelShift: number;
}

/** The weighted terms and their sum. */
export interface DirectionLosses {
  /** Weighted radial prior. */
  readonly radialPrior: tf.Scalar;
  /** Weighted Sobel shift loss. */
  readonly sobelShift: tf.Scalar;
  /** Sum of the weighted terms. */
  readonly total: tf.Scalar;
}

/**
 * The official objective: weights × terms, summed (a zero weight skips its term).
 *
 * @example
 * ```ts
 * const { total } = directionLoss(shifted, original, { radialPrior: 2, sobelShift: 10 });
 * ```
 */
export const directionLoss = (shifted: ImageBatch, original: ImageBatch, weights: LossWeights): DirectionLosses => {
  const radial = weights.radialPrior === 0 ? tf.scalar(0) : tf.tidy(() => tf.mul(radialPriorLoss(shifted), weights.radialPrior) as tf.Scalar);
  const sobel = weights.sobelShift === 0 ? tf.scalar(0) : tf.tidy(() => tf.mul(sobelShiftLoss(shifted, original), weights.sobelShift) as tf.Scalar);
  return { radialPrior: radial, sobelShift: sobel, total: tf.add(radial, sobel) as tf.Scalar };
};
