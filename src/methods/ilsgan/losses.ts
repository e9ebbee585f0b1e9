/**
 * ILSGAN's generator loss (qrzou/ILSGAN `training/loss.py: ILSLoss`, phase `Gmain`, config
 * `ILS_predL`): the non-saturating GAN loss on D(shifted composite), the mask binarization
 * min(m, 1 − m), the mask-size hinge relu(0.25 − mean m), and the independence term — a CLUB-style
 * upper bound of the mutual information between the visible and invisible regions of foreground
 * and background with a fixed ("predetermined") Laplace variational distribution, scaled by σ.
 * Tensors are NHWC; per-sample terms are [N] and averaged over the batch as the reference's
 * `loss_Gtotal.mean()`.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, MaskBatch } from '../../core/tensor.ts';

/**
 * The identity whose gradient is zero (PyTorch's `.detach()`).
 *
 * @example
 * ```ts
 * const y = ilsDetach(x); // same values, no gradient to x
 * ```
 */
export const ilsDetach = <T extends tf.Tensor>(x: T): T =>
  tf.customGrad(((a: tf.Tensor) => ({ value: tf.clone(a), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) })) as unknown as Parameters<typeof tf.customGrad>[0])(x) as T;

/**
 * `loss_Gbin`: mean over pixels of min(1 − m, m), per sample [N].
 *
 * @example
 * ```ts
 * const bin = ilsBinarizationLoss(mask); // [N]
 * ```
 */
export const ilsBinarizationLoss = (mask: MaskBatch): tf.Tensor1D =>
  tf.tidy(() => tf.mean(tf.minimum(tf.sub(1, mask), mask), [1, 2, 3]) as tf.Tensor1D);

/**
 * `loss_Ganti0`: relu(minSize − mean m) per sample [N]; without the perturbation also
 * relu(minSize − (1 − mean m)) (the background must keep `minSize` too).
 *
 * @example
 * ```ts
 * const size = ilsMaskSizeLoss(mask, 0.25, true); // [N]
 * ```
 */
export const ilsMaskSizeLoss = (mask: MaskBatch, minSize: number, perturb: boolean): tf.Tensor1D =>
  tf.tidy(() => {
    const m = tf.mean(mask, [1, 2, 3]);
    const fg = tf.relu(tf.sub(minSize, m));
    return (perturb ? fg : tf.add(fg, tf.relu(tf.sub(minSize, tf.sub(1, m))))) as tf.Tensor1D;
  });

/**
 * `compute_club_mi(…, 'predetermined_laplace', 'do_mean')` for one pair: with ℓ(a, b) the mean
 * |a − b| per sample, −mean ℓ(x, y) + negWeight · mean ℓ(x[perm], y).
 *
 * @example
 * ```ts
 * const ub = clubLaplaceBound(bgInvisible, fgVisible, [1, 0, 3, 2]);
 * ```
 */
export const clubLaplaceBound = (x: tf.Tensor4D, y: tf.Tensor4D, perm: readonly number[], negWeight = 1): tf.Scalar =>
  tf.tidy(() => {
    const l1 = (a: tf.Tensor4D): tf.Tensor => tf.mean(tf.abs(tf.sub(a, y)), [1, 2, 3]);
    const shuffled = tf.gather(x, tf.tensor1d(Array.from(perm), 'int32'));
    return tf.add(tf.neg(tf.mean(l1(x))), tf.mul(tf.mean(l1(shuffled)), negWeight)) as tf.Scalar;
  });

/** The layers the independence term reads (the unshifted ones: `ref_lyr = gen_lyr`). */
export interface IndependenceLayers {
  /** fg [N,R,R,3]. */
  readonly foreground: ImageBatch;
  /** bg [N,R,R,3]. */
  readonly background: ImageBatch;
  /** mask [N,R,R,1] (optimized through: `opt_mask = True`). */
  readonly mask: MaskBatch;
}

/**
 * `estimate_MI` of `ILS_predL` (club, predetermined Laplace, `do_mean`, `separate_mi` with
 * `opt_mask`, no stop-grad): fg and bg pass gradients only where they lie in (−1, 1); then
 * CLUB(bg·m | fg·m) + CLUB(fg·(1 − m) | bg·(1 − m)), each with its own random permutation, times σ.
 *
 * @example
 * ```ts
 * const mi = independenceLoss(layers, 0.2, [perm1, perm2]);
 * ```
 */
export const independenceLoss = (l: IndependenceLayers, sigma: number, perms: readonly [readonly number[], readonly number[]], negWeight = 1): tf.Scalar =>
  tf.tidy(() => {
    // −1 < x < 1 as |x| < 1 (the same set; `LogicalAnd` has no native kernel).
    const inside = (x: tf.Tensor4D): tf.Tensor4D => tf.where(tf.less(tf.abs(x), 1), x, ilsDetach(x));
    const fg = inside(l.foreground), bg = inside(l.background), m = l.mask, inv = tf.sub(1, m);
    const fgVis = tf.mul(fg, m) as tf.Tensor4D, bgInvis = tf.mul(bg, m) as tf.Tensor4D;
    const fgInvis = tf.mul(fg, inv) as tf.Tensor4D, bgVis = tf.mul(bg, inv) as tf.Tensor4D;
    const ub = tf.add(clubLaplaceBound(bgInvis, fgVis, perms[0], negWeight), clubLaplaceBound(fgInvis, bgVis, perms[1], negWeight));
    return tf.mul(ub, sigma) as tf.Scalar;
  });

/**
 * σ of the independence term at `kimg` thousand images (`cur_nimg // 1000`, strategy `all_time`):
 * `initialSigma` while kimg ≤ 400 (`initial_anti`), then `sigma`.
 *
 * @example
 * ```ts
 * ilsSigma(12, { sigma: 1, initialSigma: 0.2 }); // 0.2
 * ```
 */
export const ilsSigma = (kimg: number, c: { readonly sigma: number; readonly initialSigma: number }): number =>
  (kimg <= 400 ? c.initialSigma : c.sigma);

/** Weights and switches of {@link ilsGeneratorLoss}. */
export interface IlsLossWeights {
  /** `bin_weight`. ILS: 2. */
  readonly binarizationWeight: number;
  /** The weight the reference applies to the mask-size term (`weights[anti_zero_mask]` = `msize_weight` = 2 for an unconditional G). */
  readonly maskSizeWeight: number;
  /** `min_msize`. ILS: 0.25. */
  readonly minMaskSize: number;
  /** `do_perturb`. ILS: true. */
  readonly perturb: boolean;
  /** `neg_weight`. ILS: 1. */
  readonly negWeight: number;
}

/** The terms of {@link ilsGeneratorLoss}. */
export interface IlsGeneratorLoss {
  /** mean(softplus(−D(x̃)) + w_bin·bin + w_size·size) + mi. */
  readonly total: tf.Scalar;
  /** mean softplus(−D(x̃)). */
  readonly adversarial: tf.Scalar;
  /** mean binarization. */
  readonly binarization: tf.Scalar;
  /** mean mask size hinge. */
  readonly maskSize: tf.Scalar;
  /** σ·(CLUB bound) (0 when σ is 0). */
  readonly independence: tf.Scalar;
}

/**
 * `Gmain`'s `loss_Gtotal.mean()`: the adversarial loss on D's logits of the (shifted) composite,
 * binarization and mask size on the (shifted) mask, and the independence term on the unshifted layers.
 *
 * @example
 * ```ts
 * const l = ilsGeneratorLoss(d.score(t.composite, true), t.mask, base, 0.2, perms, weights);
 * ```
 */
export const ilsGeneratorLoss = (
  fakeLogits: tf.Tensor, shiftedMask: MaskBatch, base: IndependenceLayers, sigma: number,
  perms: readonly [readonly number[], readonly number[]], w: IlsLossWeights,
): IlsGeneratorLoss => {
  const adversarial = tf.mean(tf.softplus(tf.neg(tf.reshape(fakeLogits, [-1])))) as tf.Scalar;
  const binarization = tf.mean(ilsBinarizationLoss(shiftedMask)) as tf.Scalar;
  const maskSize = tf.mean(ilsMaskSizeLoss(shiftedMask, w.minMaskSize, w.perturb)) as tf.Scalar;
  const independence = sigma !== 0 ? independenceLoss(base, sigma, perms, w.negWeight) : tf.scalar(0);
  const total = tf.addN([adversarial, tf.mul(binarization, w.binarizationWeight), tf.mul(maskSize, w.maskSizeWeight), independence]) as tf.Scalar;
  return { total, adversarial, binarization, maskSize, independence };
};
