/**
 * Settings of GANSeg's training (the `ganseg` block of a run config): `train_gan.py`'s arguments as an
 * io-ts codec, with the released runs `log/gan_<name>` as presets.
 *
 * @module
 */
import * as t from 'io-ts';
import { PositiveInt, PositiveNumber } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';
import { GANSEG_PRESETS, PartGeneratorConfig, partGeneratorIssues, type GanSegPresetName } from './config.ts';
import { GanSegDiscriminatorConfig } from './discriminator.ts';

/** GANSeg's settings: the part generator, the discriminator, and `train_gan.py`'s optimisation. */
export const GanSegConfig = t.type({
  /**
   * The part generator. Its `featureMapSizes` are rescaled to the run's side when they do not end there
   * (×R/`imageSize`: the official is hard-wired to 128²). Default: `gan_cub_k8`'s.
   */
  generator: PartGeneratorConfig,
  /** The discriminator; `null` = the official table cut to the side (`ganSegDiscriminatorFor`). */
  discriminator: t.union([GanSegDiscriminatorConfig, t.null]),
  /** Training steps (one D and one G update each). Official: 30 epochs of at most 1002 batches. */
  iterations: PositiveInt,
  /** `--batch_size`. Released: 64. */
  batchSize: PositiveInt,
  /** `--lr_gen`. Released: 1e-4. */
  lrG: PositiveNumber,
  /** `--lr_disc`. Released: 4e-4. */
  lrD: PositiveNumber,
  /** Adam β1 of both (hard-coded). Official: 0.5. */
  beta1: t.number,
  /** Adam β2 of both (hard-coded). Official: 0.9. */
  beta2: t.number,
  /** `gradient_penalty`'s weight (one-centred, on reals, added to the D loss). Official: 10. */
  gpWeight: t.number,
  /** The penalty is added at `batch_index % gpEvery == 0`. Official: 16. */
  gpEvery: PositiveInt,
  /** `--con_penalty_coef` of the centre penalty. Released: 10 (flower, taichi: 30). */
  conPenaltyCoef: t.number,
  /** `--area_penalty_coef`. Released: 1. */
  areaPenaltyCoef: t.number,
  /** Centre and area penalties join the G loss at `batch_index % penaltyEvery == 0`. Official: 2. */
  penaltyEvery: PositiveInt,
  /** Batches per epoch at most (`batch_index` restarts each epoch; `if batch_index > 1000: break`). Official: 1002. */
  maxEpochBatches: PositiveInt,
  /** Checkpoint every this many steps (official: every epoch). */
  checkpointEvery: PositiveInt,
  /** Progress events every this many steps. */
  logEvery: PositiveInt,
  /**
   * G's update recomputes each SPADE in the backward pass instead of keeping its intermediates
   * (activation checkpointing, `NormMode.recompute`): the same numbers, bit for bit; about half the
   * step's activation memory, 10–20 % more time. Not in the official code (a memory setting only).
   */
  recompute: t.boolean,
}, 'GanSegConfig');
/** See {@link GanSegConfig}. */
export type GanSegConfig = t.TypeOf<typeof GanSegConfig>;

/** Official training values shared by the released runs (`log/gan_<name>/parameters.json`). */
const TRAIN = {
  discriminator: null, iterations: 30 * 1002, batchSize: 64, lrG: 1e-4, lrD: 4e-4, beta1: 0.5, beta2: 0.9,
  gpWeight: 10, gpEvery: 16, areaPenaltyCoef: 1, penaltyEvery: 2, maxEpochBatches: 1002, checkpointEvery: 1002, logEvery: 10,
  recompute: false,
};

/**
 * The released runs, named after their `log/gan_<name>` folders: each preset's generator and `con_penalty_coef`
 * (10; flower and taichi 30) over the shared training values.
 *
 * @example
 * ```ts
 * GANSEG_TRAIN_PRESETS.gan_flower_k8.conPenaltyCoef; // 30
 * ```
 */
export const GANSEG_TRAIN_PRESETS: Readonly<Record<GanSegPresetName, GanSegConfig>> = Object.fromEntries(
  (Object.keys(GANSEG_PRESETS) as GanSegPresetName[]).map((name) => {
    const c: unknown = { ...TRAIN, generator: GANSEG_PRESETS[name], conPenaltyCoef: name === 'gan_flower_k8' || name === 'gan_taichi_k10' ? 30 : 10 };
    if (!GanSegConfig.is(c)) throw new ConfigError('GANSEG_TRAIN_PRESETS', [{ path: name, expected: 'a valid GanSegConfig', given: JSON.stringify(c) }]);
    return [name, c];
  }),
) as Record<GanSegPresetName, GanSegConfig>;

/**
 * The method's defaults: `gan_cub_k8` (the bird run of the paper's segmentation results).
 *
 * @example
 * ```ts
 * const c: GanSegConfig = { ...GANSEG_DEFAULTS, iterations: 2000 as PositiveInt };
 * ```
 */
export const GANSEG_DEFAULTS: GanSegConfig = GANSEG_TRAIN_PRESETS.gan_cub_k8;

/**
 * A preset by name (a `log/gan_<name>` folder).
 *
 * @example
 * ```ts
 * const c = gansegPreset('gan_taichi_k10'); // K = 10, con_penalty_coef 30
 * ```
 */
export const gansegPreset = (name: GanSegPresetName): GanSegConfig => GANSEG_TRAIN_PRESETS[name];

/**
 * The generator for images of side `resolution`: `featureMapSizes` scaled by `resolution / imageSize`
 * (128 → 64 halves them all), `imageSize` set; a {@link ConfigError} when a size would not be a positive integer.
 *
 * @example
 * ```ts
 * partGeneratorFor(GANSEG_PRESETS.gan_cub_k8, 64).featureMapSizes; // [16, 16, 32, 32, 64, 64]
 * ```
 */
export const partGeneratorFor = (g: PartGeneratorConfig, resolution: number): PartGeneratorConfig => {
  if (g.imageSize === resolution) return g;
  const f = resolution / g.imageSize;
  const sizes = g.featureMapSizes.map((s) => s * f);
  if (!sizes.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new ConfigError('partGeneratorFor', [{ path: 'generator.featureMapSizes', expected: `sizes that scale by ${resolution}/${g.imageSize} to whole numbers`, given: `[${g.featureMapSizes.join(',')}]` }]);
  }
  const out = { ...g, featureMapSizes: sizes as PositiveInt[], imageSize: resolution as PositiveInt };
  const issues = partGeneratorIssues(out);
  if (issues.length > 0) throw new ConfigError('partGeneratorFor', issues);
  return out;
};
