/**
 * Spectral normalisation in evaluation mode, as the two BigGAN ports compute it
 * from their stored buffers (no state is updated).
 *
 * A weight is viewed as a matrix `Wm` of shape [K, O]: O output units, K the
 * flattened inputs (a tfjs HWIO filter reshaped to [kh·kw·I, O], a linear
 * weight stored [in, out]). PyTorch's `W_mat` is `Wmᵀ` with its K axis in
 * (I, kh, kw) order; vectors over K must use the same order as `Wm`'s rows
 * (norms and dot products do not depend on it otherwise).
 *
 * https://arxiv.org/abs/1802.05957
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../core/tensor.ts';

const asMatrix = (w: tf.Tensor): tf.Tensor2D => w.reshape([-1, w.shape[w.shape.length - 1]!]) as tf.Tensor2D;

/**
 * σ of `torch.nn.utils.spectral_norm` in eval mode (no power iteration):
 * σ = uᵀ W_mat v with the stored `weight_u` [O] and `weight_v` [K].
 * (pytorch-pretrained-BigGAN's `snconv2d` / `snlinear`.)
 *
 * @example
 * ```ts
 * const sigma = torchSpectralSigma(filterHWIO, u, vInHwiOrder); // scalar
 * ```
 */
export const torchSpectralSigma = (w: tf.Tensor, u: tf.Tensor1D, v: tf.Tensor1D): tf.Scalar =>
  tf.tidy(() => {
    const m = asMatrix(w); // [K,O]
    assertShape('torchSpectralSigma', u, [m.shape[1]], 'u');
    assertShape('torchSpectralSigma', v, [m.shape[0]], 'v');
    return tf.sum(tf.mul(tf.matMul(v.reshape([1, -1]), m).reshape([-1]), u)) as tf.Scalar;
  });

const normalize = (x: tf.Tensor1D, eps: number): tf.Tensor1D => tf.div(x, tf.maximum(tf.norm(x), eps));

/**
 * σ of BigGAN-PyTorch's `SN.W_()` in eval mode: one power-iteration step from
 * the stored `u0` [O] without updating it — v = normalize(u·W_mat),
 * u' = normalize(v·W_matᵀ), σ = v·W_matᵀ·u'ᵀ (`F.normalize` divides by
 * max(‖x‖, eps)). The stored `sv0` is only a log in the reference and is not used.
 *
 * @example
 * ```ts
 * const sigma = bigganSpectralSigma(filterHWIO, u0, 1e-4);
 * ```
 */
export const bigganSpectralSigma = (w: tf.Tensor, u: tf.Tensor1D, eps: number): tf.Scalar =>
  tf.tidy(() => {
    const m = asMatrix(w); // [K,O]
    assertShape('bigganSpectralSigma', u, [m.shape[1]], 'u');
    const v = normalize(tf.matMul(m, u.reshape([-1, 1])).reshape([-1]) as tf.Tensor1D, eps); // [K]
    const wv = tf.matMul(v.reshape([1, -1]), m).reshape([-1]) as tf.Tensor1D; // [O]
    const u2 = normalize(wv, eps);
    return tf.sum(tf.mul(wv, u2)) as tf.Scalar;
  });

/**
 * A weight divided by its σ.
 *
 * @example
 * ```ts
 * const wSN = spectralNormalized(w, torchSpectralSigma(w, u, v));
 * ```
 */
export const spectralNormalized = <T extends tf.Tensor>(w: T, sigma: tf.Scalar): T => tf.div(w, sigma) as T;
