/**
 * Labels4Free's losses (Abdal et al., ICCV 2021, §3.3; RameenAbdal/Labels4Free `train.py`), as
 * short named functions. The adversarial losses and R1 are the project's own
 * (`train/losses.ts`, `train/regularizers.ts`): train.py's `g_nonsaturating_loss`,
 * `d_logistic_loss` and `d_r1_loss` are rosinality's, which those match.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { assertShape, type MaskBatch } from '../../core/tensor.ts';
import { gNonSaturatingLoss } from '../../train/losses.ts';

/** Per-image mean of α over the pixels: α [N,H,W,1] → [N] (train.py's `mask.mean(dim=(2, 3))`). */
const coverage = (alpha: MaskBatch): tf.Tensor1D => {
  assertShape('labels4free coverage', alpha, [null, null, null, 1], 'alpha');
  return tf.mean(alpha, [1, 2, 3]);
};

/**
 * Binarization loss mean(min(α, 1 − α)) (train.py `binarization_loss`, after PerturbGAN): 0 for a hard mask.
 *
 * @example
 * ```ts
 * binarizationLoss(tf.fill([1, 2, 2, 1], 0.25) as MaskBatch); // 0.25
 * ```
 */
export const binarizationLoss = (alpha: MaskBatch): tf.Scalar => tf.tidy(() => tf.mean(tf.minimum(alpha, tf.sub(1, alpha))));

/**
 * Foreground coverage loss mean_n relu(fgValue − mean_hw α_n) (train.py `fg_mask_coverage_loss`,
 * `--fg_coverage_value`, default 0.25): each image's mask must cover at least `fgValue`.
 *
 * @example
 * ```ts
 * fgCoverageLoss(tf.fill([1, 2, 2, 1], 0.1) as MaskBatch, 0.25); // 0.15
 * ```
 */
export const fgCoverageLoss = (alpha: MaskBatch, fgValue: number): tf.Scalar => tf.tidy(() => tf.mean(tf.relu(tf.sub(fgValue, coverage(alpha)))));

/**
 * Background coverage loss mean_n relu(bgValue − (1 − mean_hw α_n)) (train.py `bg_mask_coverage_loss`,
 * `--bg_coverage_value`, default 0.75): each image's background must cover at least `bgValue`.
 *
 * @example
 * ```ts
 * bgCoverageLoss(tf.fill([1, 2, 2, 1], 0.5) as MaskBatch, 0.75); // 0.25
 * ```
 */
export const bgCoverageLoss = (alpha: MaskBatch, bgValue: number): tf.Scalar => tf.tidy(() => tf.mean(tf.relu(tf.sub(bgValue, tf.sub(1, coverage(alpha))))));

/** The weights and targets of {@link alphaGeneratorLoss} (train.py's flags). */
export interface AlphaLossWeights {
  /** `--sat_weight`: weight of the non-saturating adversarial loss. Reference default 1. */
  readonly satWeight: number;
  /** `--loss_multiplier`: weight of binarization + foreground coverage. Reference default 1.2. */
  readonly lossMultiplier: number;
  /** `--fg_coverage_value`. Reference default 0.25. */
  readonly fgCoverageValue: number;
  /** `--bg_coverage_wt`: weight of the background coverage. Reference default 0 (off). */
  readonly bgCoverageWeight: number;
  /** `--bg_coverage_value`. Reference default 0.75. */
  readonly bgCoverageValue: number;
}

/** The terms of {@link alphaGeneratorLoss}, unweighted, and their weighted sum. */
export interface AlphaLossTerms {
  /** softplus(−D(composite)) averaged. */
  readonly adversarial: tf.Scalar;
  /** {@link binarizationLoss}. */
  readonly binarization: tf.Scalar;
  /** {@link fgCoverageLoss}. */
  readonly fgCoverage: tf.Scalar;
  /** {@link bgCoverageLoss}. */
  readonly bgCoverage: tf.Scalar;
  /** satWeight·adversarial + lossMultiplier·(binarization + fgCoverage) + bgCoverageWeight·bgCoverage. */
  readonly total: tf.Scalar;
}

/**
 * The alpha net's loss, train.py's `g_loss`:
 * `sat_weight·softplus(−D(x̃)) + loss_multiplier·(binarization(α) + fg_coverage(α)) + bg_coverage_wt·bg_coverage(α)`
 * with x̃ the composite. Returns every term (new tensors, the caller disposes them).
 *
 * @example
 * ```ts
 * const { total } = alphaGeneratorLoss(d.score(composite, true), alpha, { satWeight: 1, lossMultiplier: 1.2, fgCoverageValue: 0.25, bgCoverageWeight: 0, bgCoverageValue: 0.75 });
 * ```
 */
export const alphaGeneratorLoss = (fakeLogits: tf.Tensor, alpha: MaskBatch, w: AlphaLossWeights): AlphaLossTerms => {
  const adversarial = gNonSaturatingLoss(fakeLogits);
  const binarization = binarizationLoss(alpha);
  const fgCoverage = fgCoverageLoss(alpha, w.fgCoverageValue);
  const bgCoverage = bgCoverageLoss(alpha, w.bgCoverageValue);
  const total = tf.tidy(() => tf.addN([
    tf.mul(adversarial, w.satWeight), tf.mul(tf.add(binarization, fgCoverage), w.lossMultiplier), tf.mul(bgCoverage, w.bgCoverageWeight),
  ]) as tf.Scalar);
  return { adversarial, binarization, fgCoverage, bgCoverage, total };
};
