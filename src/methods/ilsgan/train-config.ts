/**
 * Settings of ILSGAN's training and pair sampling (the `ilsgan` block of a run config), as an io-ts
 * codec whose fields say the official values (qrzou/ILSGAN `train_ILS_64.py` config `ILS_predL`,
 * `train_ILS_128.py` config `ILS`, `training/training_loop_ILS.py`, `training/loss.py`,
 * `generate_segmentation_samples.py`), and the presets named after those configs.
 *
 * @module
 */
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, PositiveNumber, Probability, Resolution } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';
import { ILSGAN_64, type LayeredGeneratorConfig } from './config.ts';

/** ILSGAN's settings. */
export const IlsganConfig = t.type({
  /** Side of the generated images; `null` = the run's images' side. `ILS_predL`: 64 (`train_ILS_64.py`); `ILS`: 128. */
  resolution: t.union([Resolution, t.null]),
  /** Training length in thousands of real images shown to D (`kimg`). Reference: 8000. */
  kimg: PositiveNumber,
  /** Batch size (`--batch`, `mb`). Reference: 32. */
  batchSize: PositiveInt,
  /** Adam lr of G and D (`lrate`), betas (0, 0.99), eps 1e-8, scaled by the lazy ratios r/(r+1). Reference: 0.0025. */
  lr: PositiveNumber,
  /** `G_reg_interval`: G has no regularizer (`do_Gpl = False`), but its Adam keeps the 4/5 lazy ratio. Reference: 4. */
  gRegInterval: PositiveInt,
  /** `D_reg_interval`: lazy R1 every this many steps. Reference: 16. */
  dRegInterval: PositiveInt,
  /** R1 γ; `null` = the reference's heuristic 0.0002·res²/batch (`gamma=-1`). */
  r1Gamma: t.union([t.number, t.null]),
  /** G EMA half-life in kimg; `null` = batch·10/32 (`ema=-1`). */
  emaKimg: t.union([t.number, t.null]),
  /** EMA ramp-up (`ramp`). Reference: 0.05. */
  emaRampup: t.number,
  /** Minibatch-stddev group (`mbstd`). Reference: 4. */
  mbstdGroup: PositiveInt,
  /** z and w size of both mapping networks. Reference: 512. */
  zDim: PositiveInt,
  /** See `zDim`. Reference: 512. */
  wDim: PositiveInt,
  /** Mapping layers (`map`). Reference: 8. */
  mappingLayers: PositiveInt,
  /** Channel base of G and D (`fmaps`·32768). Reference: 16384. */
  channelBase: PositiveInt,
  /** Channel cap of G and D. Reference: 256. */
  channelMax: PositiveInt,
  /** Foreground shift fraction (`xint_max`). Reference: 0.125. */
  xintMax: Probability,
  /** `do_perturb`: shift fg and mask before D. Reference: true. */
  perturb: t.boolean,
  /** `bin_weight`. Reference: 2. */
  binarizationWeight: t.number,
  /**
   * Weight of the mask-size hinge. The reference multiplies the term by `weights[anti_zero_mask]`;
   * `training_loop_ILS.py` sets `anti_zero_mask = "msize"` for an unconditional G (`c_dim == 0`), so the
   * weight is `msize_weight` = 2 (with a class-conditional G it would be `mi_weight` = 1). Reference (effective): 2.
   */
  maskSizeWeight: t.number,
  /** `min_msize`. Reference: 0.25. */
  minMaskSize: Probability,
  /**
   * ADA on everything D sees (`--aug=ada`, pipeline `bgc`, target 0.6, interval 4, 500 kimg, p from 0;
   * the training engine's `ADA_DEFAULTS`). Reference: true.
   */
  ada: t.boolean,
  /** `do_anti_leaking`: the independence (CLUB MI) term. Reference: true. */
  independence: t.boolean,
  /** `ILS_sigma`: σ after the warm-up. Reference: 1. */
  sigma: t.number,
  /** `initial_anti_sigma`: σ while kimg ≤ 400. Reference: 0.2. */
  initialSigma: t.number,
  /** `neg_weight` of the CLUB bound. Reference: 1. */
  negWeight: t.number,
  /** ψ of the pairs (`--trunc`). Reference: 1. */
  truncation: t.number,
  /** Mask = m > this (the saved mask PNG binarized at mid-grey). Ours: 0.5. */
  maskThreshold: Probability,
  /** Checkpoint every this many steps. */
  checkpointEvery: PositiveInt,
  /** Progress events every this many steps (0 = every one). */
  logEvery: NonNegativeInt,
  /**
   * MINE iterations of the fg/bg mutual-information estimate after training (`eval_MI_MINE.py`,
   * separate and single regions, reported in the run's record); 0 = not estimated. Reference: 100 000.
   */
  mineIterations: NonNegativeInt,
  /** Samples the MINE estimate reads (`generate_segmentation_samples.py --n`). Reference: 10 000. */
  mineSamples: PositiveInt,
  /** Hidden units of MINE's statistics network. Reference: 3000. */
  mineHidden: PositiveInt,
}, 'IlsganConfig');
/** See {@link IlsganConfig}. */
export type IlsganConfig = t.TypeOf<typeof IlsganConfig>;

/**
 * The official values (`ILS_predL` of `train_ILS_64.py`, at the run's resolution).
 *
 * @example
 * ```ts
 * const c: IlsganConfig = { ...ILSGAN_DEFAULTS, kimg: 200 as PositiveNumber };
 * ```
 */
export const ILSGAN_DEFAULTS: IlsganConfig = {
  resolution: null,
  kimg: 8000 as PositiveNumber,
  batchSize: 32 as PositiveInt,
  lr: 0.0025 as PositiveNumber,
  gRegInterval: 4 as PositiveInt,
  dRegInterval: 16 as PositiveInt,
  r1Gamma: null,
  emaKimg: null,
  emaRampup: 0.05,
  mbstdGroup: 4 as PositiveInt,
  zDim: 512 as PositiveInt,
  wDim: 512 as PositiveInt,
  mappingLayers: 8 as PositiveInt,
  channelBase: 16384 as PositiveInt,
  channelMax: 256 as PositiveInt,
  xintMax: 0.125 as Probability,
  perturb: true,
  binarizationWeight: 2,
  maskSizeWeight: 2,
  minMaskSize: 0.25 as Probability,
  ada: true,
  independence: true,
  sigma: 1,
  initialSigma: 0.2,
  negWeight: 1,
  truncation: 1,
  maskThreshold: 0.5 as Probability,
  checkpointEvery: 500 as PositiveInt,
  logEvery: 10 as NonNegativeInt,
  mineIterations: 0 as NonNegativeInt,
  mineSamples: 10000 as PositiveInt,
  mineHidden: 3000 as PositiveInt,
};

/** A preset: the reference's config names. */
export type IlsganPreset = 'ILS_predL' | 'ILS';

/** The presets: `ILS_predL` (`train_ILS_64.py`, 64²) and `ILS` (`train_ILS_128.py`, 128²); the rest is shared. */
export const ILSGAN_PRESETS: Readonly<Record<IlsganPreset, Readonly<Partial<Record<keyof IlsganConfig, unknown>>>>> = {
  /** `python train_ILS_64.py --cfg=ILS_predL --batch=32`. */
  ILS_predL: { resolution: 64 },
  /** `python train_ILS_128.py --cfg=ILS --batch=32`. */
  ILS: { resolution: 128 },
};

/**
 * {@link ILSGAN_DEFAULTS} with a preset's overrides.
 *
 * @example
 * ```ts
 * ilsganPreset('ILS').resolution; // 128
 * ```
 */
export const ilsganPreset = (name: IlsganPreset): IlsganConfig => {
  const merged: unknown = { ...ILSGAN_DEFAULTS, ...ILSGAN_PRESETS[name] };
  if (!IlsganConfig.is(merged)) throw new ConfigError('ilsganPreset', [{ path: name, expected: 'a valid IlsganConfig', given: JSON.stringify(merged) }]);
  return merged;
};

/**
 * The layered generator's settings for `c` at side `resolution`.
 *
 * @example
 * ```ts
 * const g = LayeredGenerator.create(ilsganGeneratorConfig(ILSGAN_DEFAULTS, 64), rng);
 * ```
 */
export const ilsganGeneratorConfig = (c: IlsganConfig, resolution: number): LayeredGeneratorConfig => ({
  ...ILSGAN_64,
  resolution: resolution as Resolution,
  zDim: c.zDim, wDim: c.wDim, mappingLayers: c.mappingLayers, channelBase: c.channelBase, channelMax: c.channelMax, xintMax: c.xintMax,
});
