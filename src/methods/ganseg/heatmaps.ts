/**
 * GANSeg's coordinate grids and part heatmaps (xingzhehe/GANSeg `models/heatmaps.py`). Points
 * and grids are (row, column) in [−1, 1] (`torch.meshgrid` with 'ij' indexing); a map of side S is
 * built on the extended grid of side S + 2e whose spacing is that of `linspace(−1, 1, S)`.
 * Heatmaps come out NHWC: [N, S+2e, S+2e, K], one channel per part.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../../core/tensor.ts';

const f = Math.fround;

/**
 * `torch.linspace(start, end, steps)` in float32 as PyTorch's CUDA kernel computes it (the official
 * training device): the first half `start + step·i`, the second half `end − step·(steps − 1 − i)`,
 * each rounded once (nvcc contracts them to fused multiply-adds). PyTorch's CPU kernel agrees
 * except where a vector chunk runs past the halfway index (AVX-512: entries 14 and 15 of 28 come
 * from `start`), 1 ulp apart.
 *
 * @example
 * ```ts
 * torchLinspace(-1, 1, 5); // Float32Array [-1, -0.5, 0, 0.5, 1]
 * ```
 */
export const torchLinspace = (start: number, end: number, steps: number): Float32Array => {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f(start), e = f(end), step = f(f(e - s) / (steps - 1)), half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < half ? f(s + step * i) : f(e - step * (steps - i - 1)); // step·i is exact in a double
  return out;
};

/**
 * The 1-D coordinates of `gen_grid2d_extend(size, extend)`: `linspace(−r, r, size + 2·extend)` with
 * r = 1 + (x₁ − x₀)·extend, x = linspace(−1, 1, size).
 *
 * @example
 * ```ts
 * extendedAxis(8, 10).length; // 28
 * ```
 */
export const extendedAxis = (size: number, extend: number): Float32Array => {
  const x = torchLinspace(-1, 1, size);
  const r = f(1 + f(f((x[1] ?? 1) - (x[0] ?? -1)) * extend));
  return torchLinspace(-r, r, size + 2 * extend);
};

/**
 * `gen_grid2d_extend(size, extend).reshape(-1, 2)`: [(S+2e)², 2], entry (i·(S+2e) + j) = (aᵢ, aⱼ), row then column.
 *
 * @example
 * ```ts
 * const g = extendedGrid(32, 10); // [2704, 2] — the official `init_extend_coord[0]`
 * ```
 */
export const extendedGrid = (size: number, extend: number): tf.Tensor2D => {
  const a = extendedAxis(size, extend), n = a.length;
  const data = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      data[2 * (i * n + j)] = a[i] as number;
      data[2 * (i * n + j) + 1] = a[j] as number;
    }
  }
  return tf.tensor2d(data, [n * n, 2]);
};

/**
 * Per-part τ of the linear (cone) heatmap: mean |x_k^i − x_k| over the part's points and both
 * coordinates, + 1e-6 (`use_linear=1`). points [N,K·n,2], keypoints [N,K,2] → [N,K].
 *
 * @example
 * ```ts
 * const tau = linearTau(points, keypoints);
 * ```
 */
export const linearTau = (points: tf.Tensor3D, keypoints: tf.Tensor3D): tf.Tensor2D =>
  tf.tidy(() => {
    const [n, k] = keypoints.shape;
    const d = tf.sub(points.reshape([n, k, -1, 2]), keypoints.reshape([n, k, 1, 2]));
    return tf.add(tf.mean(tf.abs(d), [2, 3]), 1e-6) as tf.Tensor2D;
  });

/**
 * Per-part τ of the Gaussian heatmap: the *unbiased* variance over the part's points of their
 * distances ‖x_k^i − x_k‖, + 1e-6 (`use_linear=0`; `tau.norm(dim=-1).var(dim=-1)`).
 * points [N,K·n,2], keypoints [N,K,2] → [N,K].
 *
 * @example
 * ```ts
 * const tau = gaussianTau(points, keypoints);
 * ```
 */
export const gaussianTau = (points: tf.Tensor3D, keypoints: tf.Tensor3D): tf.Tensor2D =>
  tf.tidy(() => {
    const [n, k] = keypoints.shape;
    const d = tf.sub(points.reshape([n, k, -1, 2]), keypoints.reshape([n, k, 1, 2]));
    const dist = tf.sqrt(tf.sum(tf.square(d), 3)); // [N,K,n]
    const per = dist.shape[2] as number;
    const centred = tf.sub(dist, tf.mean(dist, 2, true));
    return tf.add(tf.div(tf.sum(tf.square(centred), 2), Math.max(per - 1, 1)), 1e-6) as tf.Tensor2D;
  });

const checkInputs = (where: string, keypoints: tf.Tensor3D, tau: tf.Tensor2D): void => {
  assertShape(where, keypoints, [null, null, 2], 'keypoints');
  assertShape(where, tau, [keypoints.shape[0], keypoints.shape[1]], 'tau');
};

/**
 * `gen_heatmaps_linear_extend`: `max(0, 1 − ‖p − x_k‖/τ_k)` on the extended grid of side `size`.
 * keypoints [N,K,2], tau [N,K] → [N, size+2e, size+2e, K]. `grid` [(size+2e)²,2] replaces
 * {@link extendedGrid}`(size, extend)` (e.g. a checkpoint's `init_extend_coord[0]`).
 *
 * @example
 * ```ts
 * const h = linearHeatmaps(keypoints, linearTau(points, keypoints), 32, 10); // [N,52,52,K]
 * ```
 */
export const linearHeatmaps = (keypoints: tf.Tensor3D, tau: tf.Tensor2D, size: number, extend: number, grid?: tf.Tensor2D): tf.Tensor4D =>
  tf.tidy(() => {
    checkInputs('linearHeatmaps', keypoints, tau);
    const [n, k] = keypoints.shape, side = size + 2 * extend;
    const g = grid ?? extendedGrid(size, extend); // [P,2]
    assertShape('linearHeatmaps', g, [side * side, 2], 'grid');
    const d = tf.sub(keypoints.reshape([n, 1, k, 2]), g.reshape([1, -1, 1, 2])); // [N,P,K,2]
    const dist = tf.sqrt(tf.sum(tf.square(d), 3)); // [N,P,K]
    return tf.relu(tf.sub(1, tf.div(dist, tau.reshape([n, 1, k])))).reshape([n, side, side, k]) as tf.Tensor4D;
  });

/**
 * `gen_heatmaps_extend`: `exp(−‖p − x_k‖²/τ_k)` on the extended grid of side `size`, with the
 * squared distance computed as the official code does (|x|² + |p|² − 2·x·p).
 * keypoints [N,K,2], tau [N,K] → [N, size+2e, size+2e, K]. `grid` as in {@link linearHeatmaps}.
 *
 * @example
 * ```ts
 * const h = gaussianHeatmaps(keypoints, gaussianTau(points, keypoints), 32, 10);
 * ```
 */
export const gaussianHeatmaps = (keypoints: tf.Tensor3D, tau: tf.Tensor2D, size: number, extend: number, grid?: tf.Tensor2D): tf.Tensor4D =>
  tf.tidy(() => {
    checkInputs('gaussianHeatmaps', keypoints, tau);
    const [n, k] = keypoints.shape, side = size + 2 * extend;
    const g = grid ?? extendedGrid(size, extend); // [P,2]
    assertShape('gaussianHeatmaps', g, [side * side, 2], 'grid');
    const kNorm = tf.sum(tf.square(keypoints), 2).reshape([n, 1, k]); // [N,1,K]
    const gNorm = tf.sum(tf.square(g), 1).reshape([1, -1, 1]); // [1,P,1]
    const dot = tf.matMul(g.reshape([1, -1, 2]).tile([n, 1, 1]) as tf.Tensor3D, keypoints, false, true); // [N,P,K]
    const dist = tf.sub(tf.add(kNorm, gNorm), tf.mul(dot, 2));
    return tf.exp(tf.neg(tf.div(dist, tau.reshape([n, 1, k])))).reshape([n, side, side, k]) as tf.Tensor4D;
  });
