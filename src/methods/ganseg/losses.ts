/**
 * GANSeg's generator regularizers, as the official `Generator.forward(requires_penalty=True)`
 * computes them (xingzhehe/GANSeg `models/generator.py`); `train_gan.py` adds them every other
 * generator step with `con_penalty_coef` (10, or 30 for flower and taichi) and `area_penalty_coef` (1).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../../core/tensor.ts';
import { torchLinspace } from './heatmaps.ts';

/** The plain grid `gen_grid2d(S)` [S², 2], (row, column) in [−1, 1]. */
const plainGrid = (s: number): tf.Tensor2D => {
  const a = torchLinspace(-1, 1, s), data = new Float32Array(s * s * 2);
  for (let i = 0; i < s; i++) for (let j = 0; j < s; j++) data.set([a[i] as number, a[j] as number], 2 * (i * s + j));
  return tf.tensor2d(data, [s * s, 2]);
};

/**
 * Centre penalty: each part mask's squared distance to its part location, weighted by the mask
 * normalised to sum 1 (+1e-6), averaged over batch and parts. masks [N,S,S,K+1] (channel 0 the
 * background, as {@link PartGenerator.forward} returns them), keypoints [N,K,2] → scalar.
 *
 * @example
 * ```ts
 * const out = g.forward(inputs, { training: true });
 * const loss = tf.mul(centerPenalty(out.masks, out.keypoints), 10); // con_penalty_coef
 * ```
 */
export const centerPenalty = (masks: tf.Tensor4D, keypoints: tf.Tensor3D): tf.Scalar =>
  tf.tidy(() => {
    const [n, s, , k1] = masks.shape, k = k1 - 1;
    assertShape('centerPenalty', keypoints, [n, k, 2], 'keypoints');
    const parts = masks.slice([0, 0, 0, 1], [n, s, s, k]).reshape([n, s * s, k]); // [N,P,K]
    const d = tf.sub(keypoints.reshape([n, 1, k, 2]), plainGrid(s).reshape([1, s * s, 1, 2])); // [N,P,K,2]
    const dist = tf.sum(tf.square(d), 3); // [N,P,K]
    const w = tf.div(parts, tf.add(tf.sum(parts, 1, true), 1e-6));
    return tf.mean(tf.sum(tf.mul(dist, w), 1)) as tf.Scalar;
  });

/**
 * Area penalty: Σ_k max(0, A₀_k − area(M_k)), averaged over the batch, where A₀_k = π·(τ_k·S/2)²
 * with τ_k the mean |x_k^i − x_k| (`smaller_init_mask=0`, all released runs), or, given
 * `heatmaps` (`smaller_init_mask=1`), the area of the initial heatmaps. masks [N,S,S,K+1]
 * (channel 0 the background), points [N,K·n,2], keypoints [N,K,2], `imageSize` the config's.
 *
 * @example
 * ```ts
 * const area = areaPenalty(out.masks, out.points, out.keypoints, 128); // × area_penalty_coef 1
 * ```
 */
export const areaPenalty = (masks: tf.Tensor4D, points: tf.Tensor3D, keypoints: tf.Tensor3D, imageSize: number, heatmaps?: tf.Tensor4D): tf.Scalar =>
  tf.tidy(() => {
    const [n, s, , k1] = masks.shape, k = k1 - 1;
    assertShape('areaPenalty', keypoints, [n, k, 2], 'keypoints');
    const area = tf.sum(masks.slice([0, 0, 0, 1], [n, s, s, k]), [1, 2]); // [N,K]
    let init: tf.Tensor;
    if (heatmaps) init = tf.sum(heatmaps, [1, 2]);
    else {
      const d = tf.sub(points.reshape([n, k, -1, 2]), keypoints.reshape([n, k, 1, 2]));
      init = tf.mul(tf.square(tf.mul(tf.mean(tf.abs(d), [2, 3]), imageSize / 2)), Math.PI);
    }
    return tf.mean(tf.sum(tf.relu(tf.sub(init, area)), 1)) as tf.Scalar;
  });

/**
 * `train_gan.py`'s `gradient_penalty(images, output, weight=10)`: the one-centred (WGAN-GP style)
 * penalty on real images, `weight · mean_n((‖∂ΣD(x)/∂x_n‖₂ − 1)²)` — not R1's ‖∇‖². The official
 * step adds it to the discriminator loss at `batch_index % 16 == 0`, unscaled by the interval.
 *
 * @example
 * ```ts
 * const loss = tf.add(dLogisticLoss(d.score(reals, true), d.score(fakes, true)), gansegGradientPenalty((x) => d.score(x, true), reals));
 * ```
 */
export const gansegGradientPenalty = (discriminator: (x: tf.Tensor4D) => tf.Tensor, reals: tf.Tensor4D, weight = 10): tf.Scalar =>
  tf.tidy(() => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(discriminator(x as tf.Tensor4D)))(reals); // [N,H,W,C]
    const norm = tf.sqrt(tf.sum(tf.square(g.reshape([reals.shape[0], -1])), 1)); // [N]
    return tf.mul(tf.mean(tf.square(tf.sub(norm, 1))), weight) as tf.Scalar;
  });
