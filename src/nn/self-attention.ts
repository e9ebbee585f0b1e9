/**
 * SAGAN self-attention as in BigGAN's generators (both ports compute the
 * same thing): θ = x·Wθ, φ = maxpool₂(x·Wφ), g = maxpool₂(x·Wg),
 * β = softmax(θ φᵀ), out = x + γ · (β g)·Wo.
 *
 * https://arxiv.org/abs/1805.08318
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape } from '../core/tensor.ts';

/** The (already spectrally normalised) 1×1 projections of {@link selfAttention}, as [in, out] matrices. */
export interface SelfAttentionWeights {
  /** Query projection [C, C/8]. */
  readonly theta: tf.Tensor2D;
  /** Key projection [C, C/8]. */
  readonly phi: tf.Tensor2D;
  /** Value projection [C, C/2]. */
  readonly g: tf.Tensor2D;
  /** Output projection [C/2, C]. */
  readonly o: tf.Tensor2D;
  /** Residual gain (scalar or [1]); 0 at initialisation. */
  readonly gamma: tf.Tensor;
}

/**
 * Self-attention over the H·W positions of `x` [N,H,W,C] (H, W even).
 *
 * @example
 * ```ts
 * const y = selfAttention(x, { theta, phi, g, o, gamma }); // [N,H,W,C]
 * ```
 */
export const selfAttention = (x: tf.Tensor4D, w: SelfAttentionWeights): tf.Tensor4D =>
  tf.tidy(() => {
    const [n, h, wd, c] = x.shape;
    assertShape('selfAttention', w.theta, [c, null], 'theta');
    assertShape('selfAttention', w.phi, [c, w.theta.shape[1]], 'phi');
    assertShape('selfAttention', w.g, [c, null], 'g');
    assertShape('selfAttention', w.o, [w.g.shape[1], c], 'o');
    const ck = w.theta.shape[1], cv = w.g.shape[1];
    const flat = x.reshape([n * h * wd, c]);
    const proj = (m: tf.Tensor2D, k: number): tf.Tensor4D => tf.matMul(flat, m).reshape([n, h, wd, k]);
    const theta = proj(w.theta, ck).reshape([n, h * wd, ck]) as tf.Tensor3D;                       // [N,HW,ck]
    const phi = tf.maxPool(proj(w.phi, ck), 2, 2, 'valid').reshape([n, (h * wd) / 4, ck]) as tf.Tensor3D; // [N,HW/4,ck]
    const g = tf.maxPool(proj(w.g, cv), 2, 2, 'valid').reshape([n, (h * wd) / 4, cv]) as tf.Tensor3D;     // [N,HW/4,cv]
    const beta = tf.softmax(tf.matMul(theta, phi, false, true));                                       // [N,HW,HW/4]
    const o = tf.matMul(tf.matMul(beta, g).reshape([n * h * wd, cv]), w.o).reshape([n, h, wd, c]);
    return tf.add(x, tf.mul(w.gamma.reshape([]), o)) as tf.Tensor4D;
  });
