/**
 * Landmarks of real images from a K + 1-class segmenter: each part's centroid, in the
 * coordinates of {@link PartGenerator.keypoints} ((row, column) in [−1, 1], pixel centres
 * `v·(S/2 − 0.5) + (S/2 − 0.5)`), so a segmenter trained on GANSeg's pairs gives keypoints for
 * photos as the generator gives them for its samples (the paper's landmark evaluation reads the
 * part centres the same way).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { ShapeError } from '../../core/errors.ts';

/** How a pixel counts toward a part's centroid. */
export type CentroidWeighting = 'probability' | 'argmax';

/** Part centroids of a batch. */
export interface PartCentroids {
  /** Shape `[N,K,2]`: (row, column) in [−1, 1] per part (channel 1…K of the scores); NaN where the part has no mass. */
  readonly points: tf.Tensor3D;
  /** Shape `[N,K]`: the part's share of the image (mean weight over pixels); 0 = absent. */
  readonly mass: tf.Tensor2D;
}

/**
 * The centroid of every part of `scores` ([N,H,W,K+1] class probabilities, channel 0 the
 * background, as the pipeline's K + 1-class UNet gives after a softmax). `weighting`:
 * `probability` weighs each pixel by the part's probability; `argmax` counts the pixels whose
 * most likely class is the part (what the hard segmentation shows). Caller disposes the result.
 *
 * @example
 * ```ts
 * const probs = tf.softmax(logits); // [N,H,W,K+1] from a segmenter trained with method=ganseg
 * const { points, mass } = partCentroids(probs as tf.Tensor4D);
 * const px = keypointsToPixels(points, probs.shape[1]); // rows and columns in pixels
 * ```
 */
export const partCentroids = (scores: tf.Tensor4D, weighting: CentroidWeighting = 'probability'): PartCentroids => {
  const [n, h, w, c] = scores.shape;
  if (scores.rank !== 4 || c < 2) throw new ShapeError('partCentroids', `scores must be [N,H,W,K+1] with K ≥ 1, got [${scores.shape}]`);
  if (h < 2 || w < 2) throw new ShapeError('partCentroids', `need at least 2×2 pixels, got ${h}×${w}`);
  return tf.tidy(() => {
    const weights = weighting === 'argmax' ? tf.oneHot(tf.argMax(scores, 3), c).toFloat() : scores; // [N,H,W,C]
    const parts = tf.slice(weights, [0, 0, 0, 1], [-1, -1, -1, c - 1]).reshape([n, h * w, c - 1]); // [N,HW,K]
    const rows = tf.linspace(-1, 1, h).reshape([h, 1]).tile([1, w]).reshape([1, h * w]);
    const cols = tf.linspace(-1, 1, w).reshape([1, w]).tile([h, 1]).reshape([1, h * w]);
    const coords = tf.stack([rows, cols], 2).tile([n, 1, 1]) as tf.Tensor3D; // [N,HW,2]
    const total = tf.sum(parts, 1); // [N,K]
    const sums = tf.matMul(parts, coords, true, false); // [N,K,2]
    const points = tf.div(sums, tf.expandDims(total, 2)); // 0/0 = NaN where absent
    const absent = tf.expandDims(tf.equal(total, 0), 2).tile([1, 1, 2]);
    return {
      points: tf.where(absent, tf.fill([n, c - 1, 2], NaN), points) as tf.Tensor3D,
      mass: tf.div(total, h * w) as tf.Tensor2D,
    } as unknown as tf.TensorContainer;
  }) as unknown as PartCentroids;
};
