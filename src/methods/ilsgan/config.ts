/**
 * Settings of ILSGAN's layered generator (Zou et al., AAAI 2023), as an io-ts codec. Each field
 * says the official value for the 64² setting (qrzou/ILSGAN `train_ILS_64.py`, configs `ILS` /
 * `ILS_predL`, and the NVlabs stylegan2-ada-pytorch defaults of `training/networks.py` it keeps).
 *
 * @module
 */
import * as t from 'io-ts';
import type * as E from 'fp-ts/lib/Either.js';
import { PositiveInt, PositiveNumber, Probability, Resolution, decodeWithDefaults } from '../../core/codec.ts';
import type { ConfigError } from '../../core/errors.ts';

/** The layered generator: two NVlabs StyleGAN2-ADA generators (bg RGB, fg RGB + mask logit) and the layer shift. */
export const LayeredGeneratorConfig = t.type({
  /** Output side R (both layers). Reference: 64 (`train_ILS_64.py`; 128 in `train_ILS_128.py`). */
  resolution: Resolution,
  /** Z dimensionality, shared by both mapping networks (both read the same z). Reference: 512. */
  zDim: PositiveInt,
  /** W dimensionality of both mapping networks. Reference: 512. */
  wDim: PositiveInt,
  /** Fully-connected layers per mapping network (`--map`, `spec.map`). Reference: 8. */
  mappingLayers: PositiveInt,
  /** Learning-rate multiplier of the mapping layers (NVlabs `lr_multiplier`). Reference: 0.01. */
  mappingLrMultiplier: PositiveNumber,
  /** Decay of the tracked W average (`w_avg_beta`, used for truncation). Reference: 0.995. */
  wAvgBeta: Probability,
  /** Channels = min(channelBase / res, channelMax) per resolution. Reference: int(fmaps 0.5 · 32768) = 16384. */
  channelBase: PositiveInt,
  /** Channel cap (`channel_max`). Reference: 256 (every block at 64² has 256 channels). */
  channelMax: PositiveInt,
  /**
   * Clamp of every synthesis conv's and toRGB's output to ±this (NVlabs `conv_clamp`, applied
   * after bias, activation and gain). Reference: 256 (set with `num_fp16_res = 4`).
   */
  convClamp: PositiveNumber,
  /**
   * Maximum foreground shift as a fraction of the side (`LayerTransform.xint_max`): during
   * training fg and mask move by round(ε·xintMax·R) pixels, ε ~ U[−1, 1]², zero fill.
   * Reference: 0.125 (8 px at 64²).
   */
  xintMax: Probability,
}, 'LayeredGeneratorConfig');
/** See {@link LayeredGeneratorConfig}. */
export type LayeredGeneratorConfig = t.TypeOf<typeof LayeredGeneratorConfig>;

/**
 * The official 64² settings (`train_ILS_64.py`, configs `ILS` and `ILS_predL` share them).
 *
 * @example
 * ```ts
 * const cfg = ILSGAN_64; // { resolution: 64, zDim: 512, wDim: 512, mappingLayers: 8, channelBase: 16384, channelMax: 256, … }
 * ```
 */
export const ILSGAN_64: LayeredGeneratorConfig = {
  resolution: 64 as Resolution,
  zDim: 512 as PositiveInt,
  wDim: 512 as PositiveInt,
  mappingLayers: 8 as PositiveInt,
  mappingLrMultiplier: 0.01 as PositiveNumber,
  wAvgBeta: 0.995 as Probability,
  channelBase: 16384 as PositiveInt,
  channelMax: 256 as PositiveInt,
  convClamp: 256 as PositiveNumber,
  xintMax: 0.125 as Probability,
};

/**
 * Channels of each synthesis block, `min(channelBase / res, channelMax)` for res = 4 … R
 * (NVlabs `SynthesisNetwork.channels_dict`).
 *
 * @example
 * ```ts
 * synthesisChannels(ILSGAN_64); // Map { 4 => 256, 8 => 256, 16 => 256, 32 => 256, 64 => 256 }
 * ```
 */
export const synthesisChannels = (c: LayeredGeneratorConfig): Map<number, number> => {
  const m = new Map<number, number>();
  for (let r = 4; r <= c.resolution; r *= 2) m.set(r, Math.min(Math.floor(c.channelBase / r), c.channelMax));
  return m;
};

/**
 * Decode a partial config over {@link ILSGAN_64}: every wrong field in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * const cfg = decodeLayeredGeneratorConfig({ resolution: 128 }); // train_ILS_128.py's side
 * ```
 */
export const decodeLayeredGeneratorConfig = (input: unknown = {}): E.Either<ConfigError, LayeredGeneratorConfig> =>
  decodeWithDefaults(LayeredGeneratorConfig, ILSGAN_64, input);
