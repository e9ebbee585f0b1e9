/**
 * Settings of Labels4Free's training and masks (the `labels4free` block of a run config), as an
 * io-ts codec whose fields say train.py's / test_sample.py's defaults, and the per-dataset
 * presets of the official README.
 *
 * @module
 */
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, PositiveNumber, PowerOfTwo, Probability } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';
import { BackgroundZero, alphaBranchDefaults, type AlphaBranchConfig } from './config.ts';

/** Which image a mask is paired with in the synthetic set (test_sample.py saves both beside the hard mask). */
export const PairImage = t.keyof({
  /** `…_original.png`: G(z) at ψ `sampleTruncation`, the image whose features α is computed from. */
  original: null,
  /** `…_composite.png`: α·G(z) + (1 − α)·G_bg(z₂). */
  composite: null,
}, 'PairImage');
/** See {@link PairImage}. */
export type PairImage = t.TypeOf<typeof PairImage>;

/** Labels4Free's settings: training of the alpha net and its discriminator, the alpha branch, and mask sampling. */
export const Labels4FreeConfig = t.type({
  /** `--iter`: training iterations (one D step, lazy R1, one alpha-net step each). Reference default 1001. */
  iterations: PositiveInt,
  /** `--batch` (per GPU; DDP averages over GPUs, so 4 GPUs × 2 = 8). Reference default 16. */
  batchSize: PositiveInt,
  /** `--lr` of both Adams (scaled by the lazy ratios as train.py: α net 4/5, D 16/17). Reference default 2e-4. */
  lr: PositiveNumber,
  /** `--r1`: R1 weight γ on real images. Reference default 10. */
  r1: t.number,
  /** `--d_reg_every`: lazy R1 interval. Reference default 16. */
  dRegEvery: PositiveInt,
  /**
   * `--g_reg_every`: no path-length term is trained, but train.py still scales the alpha net's Adam
   * by ratio r = g/(g+1) (lr·r, betas 0^r, 0.99^r). Reference default 4.
   */
  gRegEvery: PositiveInt,
  /** `--sat_weight`: weight of the non-saturating G loss on the composite. Reference default 1. */
  satWeight: t.number,
  /** `--loss_multiplier`: weight of binarization + foreground coverage. Reference default 1.2. */
  lossMultiplier: t.number,
  /** `--fg_coverage_value`: each α must cover at least this fraction. Reference default 0.25. */
  fgCoverageValue: Probability,
  /** `--bg_coverage_wt`: weight of the background coverage loss. Reference default 0 (off). */
  bgCoverageWeight: t.number,
  /** `--bg_coverage_value`: each background must cover at least this fraction. Reference default 0.75. */
  bgCoverageValue: Probability,
  /** `--trunc`: ψ of the foreground in training (bg untruncated, same z). Reference default 1. */
  trainTruncation: Probability,
  /** ψ of fg and bg (separate z) when sampling pairs (test_sample.py). Reference: 0.5. */
  sampleTruncation: Probability,
  /** `--th`: mask = α > this. Reference: 0.9. */
  maskThreshold: Probability,
  /** Which image a mask is paired with; see {@link PairImage}. Ours: `original` (issue 16: (G(z), α > th)). */
  pairImage: PairImage,
  /** `--use_disc`: start D from the run's discriminator (it must exist) instead of from scratch. Reference default false. */
  useDiscriminator: t.boolean,
  /** First block the alpha net reads; `null` = the reference's `min_res` for the size (R/32, at least 8). */
  featureFrom: t.union([PowerOfTwo, t.null]),
  /** Zeroed 4×4 tensor of the background pass; `auto` = the reference's rule (constant input at 512², conv1 otherwise). */
  backgroundZero: t.union([BackgroundZero, t.literal('auto')]),
  /** Checkpoint every this many iterations (`--model_save_freq`). Reference default 100. */
  checkpointEvery: PositiveInt,
  /** Progress events every this many iterations (0 = every one). */
  logEvery: NonNegativeInt,
}, 'Labels4FreeConfig');
/** See {@link Labels4FreeConfig}. */
export type Labels4FreeConfig = t.TypeOf<typeof Labels4FreeConfig>;

/**
 * train.py's and test_sample.py's defaults (`python train.py` with no flags but `--reproduce_model`).
 *
 * @example
 * ```ts
 * const cfg: Labels4FreeConfig = { ...LABELS4FREE_DEFAULTS, iterations: 500 as PositiveInt };
 * ```
 */
export const LABELS4FREE_DEFAULTS: Labels4FreeConfig = {
  iterations: 1001 as PositiveInt,
  batchSize: 16 as PositiveInt,
  lr: 2e-4 as PositiveNumber,
  r1: 10,
  dRegEvery: 16 as PositiveInt,
  gRegEvery: 4 as PositiveInt,
  satWeight: 1,
  lossMultiplier: 1.2,
  fgCoverageValue: 0.25 as Probability,
  bgCoverageWeight: 0,
  bgCoverageValue: 0.75 as Probability,
  trainTruncation: 1 as Probability,
  sampleTruncation: 0.5 as Probability,
  maskThreshold: 0.9 as Probability,
  pairImage: 'original',
  useDiscriminator: false,
  featureFrom: null,
  backgroundZero: 'auto',
  checkpointEvery: 100 as PositiveInt,
  logEvery: 10 as NonNegativeInt,
};

/** Overrides of some {@link Labels4FreeConfig} fields (checked by the codec when applied). */
export type Labels4FreeOverrides = Readonly<Partial<Record<keyof Labels4FreeConfig, unknown>>>;

/** A preset's name: the official README's command for a dataset, paper (4 GPUs) or single-GPU settings. */
export type Labels4FreePreset = 'ffhq-paper' | 'lsun-horse-paper' | 'lsun-cat-paper' | 'lsun-car-paper' | 'ffhq-single-gpu' | 'lsun-horse-single-gpu' | 'lsun-cat-single-gpu' | 'lsun-car-single-gpu';

/**
 * The official README's commands, as overrides of {@link LABELS4FREE_DEFAULTS}. `*-paper`: "the settings
 * in the paper" (4 GPUs × batch 2 = batch 8, `--reproduce_model`; car on one GPU with `--use_disc`);
 * `*-single-gpu`: "your own models … on a single GPU" (batch 2, background coverage on).
 */
export const LABELS4FREE_PRESETS: Readonly<Record<Labels4FreePreset, Labels4FreeOverrides>> = {
  /** `--size 1024 --batch 2 (×4) --loss_multiplier 1.2 --iter 1200 --trunc 1.0 --lr 0.0002`. */
  'ffhq-paper': { batchSize: 8, lossMultiplier: 1.2, iterations: 1200, trainTruncation: 1, lr: 2e-4 },
  /** `--size 256 --batch 2 (×4) --loss_multiplier 3 --iter 500 --trunc 1.0 --lr 0.0002`. */
  'lsun-horse-paper': { batchSize: 8, lossMultiplier: 3, iterations: 500, trainTruncation: 1, lr: 2e-4 },
  /** `--size 256 --batch 2 (×4) --loss_multiplier 3 --iter 900 --trunc 0.5 --lr 0.0002`. */
  'lsun-cat-paper': { batchSize: 8, lossMultiplier: 3, iterations: 900, trainTruncation: 0.5, lr: 2e-4 },
  /** `--size 512 --batch 2 --loss_multiplier 10 --iter 50 --trunc 0.3 --lr 0.002 --sat_weight 1.0 --model_save_freq 25 --use_disc`. */
  'lsun-car-paper': { batchSize: 2, lossMultiplier: 10, iterations: 50, trainTruncation: 0.3, lr: 2e-3, satWeight: 1, checkpointEvery: 25, useDiscriminator: true },
  /** `--size 1024 --batch 2 --loss_multiplier 1.2 --iter 2000 --trunc 1.0 --lr 0.0002 --bg_coverage_wt 3 --bg_coverage_value 0.4`. */
  'ffhq-single-gpu': { batchSize: 2, lossMultiplier: 1.2, iterations: 2000, trainTruncation: 1, lr: 2e-4, bgCoverageWeight: 3, bgCoverageValue: 0.4 },
  /** `--size 256 --batch 2 --loss_multiplier 3 --iter 2000 --trunc 1.0 --lr 0.0002 --bg_coverage_wt 6 --bg_coverage_value 0.6`. */
  'lsun-horse-single-gpu': { batchSize: 2, lossMultiplier: 3, iterations: 2000, trainTruncation: 1, lr: 2e-4, bgCoverageWeight: 6, bgCoverageValue: 0.6 },
  /** `--size 256 --batch 2 --loss_multiplier 3 --iter 2000 --trunc 0.5 --lr 0.0002 --bg_coverage_wt 4 --bg_coverage_value 0.35`. */
  'lsun-cat-single-gpu': { batchSize: 2, lossMultiplier: 3, iterations: 2000, trainTruncation: 0.5, lr: 2e-4, bgCoverageWeight: 4, bgCoverageValue: 0.35 },
  /** `--size 512 --batch 2 --loss_multiplier 20 --iter 750 --trunc 0.3 --lr 0.0008 --sat_weight 0.1 --bg_coverage_wt 40 --bg_coverage_value 0.75 --model_save_freq 50`. */
  'lsun-car-single-gpu': { batchSize: 2, lossMultiplier: 20, iterations: 750, trainTruncation: 0.3, lr: 8e-4, satWeight: 0.1, bgCoverageWeight: 40, bgCoverageValue: 0.75, checkpointEvery: 50 },
};

/**
 * {@link LABELS4FREE_DEFAULTS} with a preset's overrides (checked by the codec: a broken preset is a {@link ConfigError}).
 *
 * @example
 * ```ts
 * const cat = labels4freePreset('lsun-cat-paper'); // lossMultiplier 3, 900 iterations, ψ 0.5, batch 8
 * ```
 */
export const labels4freePreset = (name: Labels4FreePreset): Labels4FreeConfig => {
  const merged: unknown = { ...LABELS4FREE_DEFAULTS, ...LABELS4FREE_PRESETS[name] };
  if (!Labels4FreeConfig.is(merged)) throw new ConfigError('labels4freePreset', [{ path: name, expected: 'a valid Labels4FreeConfig', given: JSON.stringify(merged) }]);
  return merged;
};

/**
 * The alpha branch's settings for a generator of side `resolution` under `c` (`null` / `auto` resolved by the reference's rules).
 *
 * @example
 * ```ts
 * alphaBranchSettings(LABELS4FREE_DEFAULTS, 512).backgroundZero; // 'constantInput'
 * ```
 */
export const alphaBranchSettings = (c: Labels4FreeConfig, resolution: number): AlphaBranchConfig => {
  const d = alphaBranchDefaults(resolution);
  return {
    ...d,
    featureFrom: c.featureFrom ?? d.featureFrom,
    backgroundZero: c.backgroundZero === 'auto' ? d.backgroundZero : c.backgroundZero,
    trainTruncation: c.trainTruncation,
    sampleTruncation: c.sampleTruncation,
    maskThreshold: c.maskThreshold,
  };
};
