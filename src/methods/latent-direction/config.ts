/**
 * Configuration of the latent-direction method (Melas-Kyriazi et al. and Voynov et al.), as io-ts
 * codecs. Every field documents the official default.
 *
 * @module
 */
import * as t from 'io-ts';
import { NonNegativeInt, PositiveInt, PositiveNumber, decodeWithDefaults } from '../../core/codec.ts';
import type * as E from 'fp-ts/lib/Either.js';
import type { ConfigError } from '../../core/errors.ts';

/**
 * Which variant: `single` (Melas-Kyriazi et al.: one direction, mask = lighter after the shift),
 * `dual` (Melas-Kyriazi et al.'s two-direction variant: a lightening and a darkening
 * direction, mask = grey(G(z+r·d₊)) − grey(G(z+r·d₋)) > 0), `background`
 * (Voynov et al.: the direction that darkens the background and lightens the
 * foreground, mask = grey(G(z)) < grey(G(z + r·d))).
 */
export const DirectionVariant = t.keyof({
  /** Melas-Kyriazi et al.: one direction. */
  single: null,
  /** Melas-Kyriazi et al.'s two-direction variant. */
  dual: null,
  /** Voynov et al.: the background direction. */
  background: null,
}, 'DirectionVariant');
/** See {@link DirectionVariant}. */
export type DirectionVariant = t.TypeOf<typeof DirectionVariant>;

/** Latent space the direction lives in: `z` (any generator) or `w` (style-based generators). */
export const LatentSpace = t.keyof({
  /** The prior's Z. */
  z: null,
  /** A style-based generator's W. */
  w: null,
}, 'LatentSpace');
/** See {@link LatentSpace}. */
export type LatentSpace = t.TypeOf<typeof LatentSpace>;

/** Loss weights (official `losses` block of the BigBiGAN run). */
export const LossWeightsConfig = t.type({
  /** Radial prior ("outside_circle_loss") on the shifted image. Paper: 2. */
  radialPrior: t.number,
  /** MSE of Sobel edges of shifted vs original ("sobel_shift_loss"). Paper: 10. */
  sobelShift: t.number,
}, 'LossWeightsConfig');

/** Shift magnitude distribution during optimisation: r = max(N(mean, std), min), drawn per latent element. */
export const RadiusConfig = t.type({
  /** Mean. Paper: 2. */
  mean: t.number,
  /** Standard deviation (the official config calls it `var`). Paper: 0.5. */
  std: t.number,
  /** Lower clip. Paper: 0.1. */
  min: t.number,
}, 'RadiusConfig');

/** Mask post-processing (official `GANDataset` kwargs). */
export const MaskFiltersConfig = t.type({
  /** Keep connected components larger than this × the largest; 0 disables. Paper: 0.2. */
  ccThreshold: t.number,
  /** Allowed foreground fraction [lo, hi]; null disables. Paper: [0, 0.5]. */
  sizeRange: t.union([t.tuple([t.number, t.number]), t.null]),
  /** Bins of the shifted-image histogram that must show ≥ 2 peaks; 0 disables. Paper: 12. */
  histogramBins: NonNegativeInt,
}, 'MaskFiltersConfig');

/** Everything the finder and the mask synthesiser need. */
export const LatentDirectionConfig = t.type({
  /** Variant. Paper (Melas-Kyriazi et al.): `single`. */
  variant: DirectionVariant,
  /** Latent space. Paper: `z` (BigBiGAN); `w` is offered for style-based generators. */
  space: LatentSpace,
  /** Latents per optimisation step. Paper: 32. */
  batchSize: PositiveInt,
  /** Optimisation steps. Paper: 300. */
  iterations: PositiveInt,
  /** Adam learning rate. Paper: 5e-3. */
  learningRate: PositiveNumber,
  /** Learning-rate milestones (multiplied by `gamma` at each). Paper: none. */
  milestones: t.array(NonNegativeInt),
  /** Learning-rate factor at each milestone. Paper: 0.1. */
  gamma: PositiveNumber,
  /** Shift magnitude distribution while optimising. */
  radius: RadiusConfig,
  /** Loss weights. */
  losses: LossWeightsConfig,
  /** Shift used to make masks. Paper: 5. */
  maskRadius: PositiveNumber,
  /** Truncation ψ when sampling latents. Paper: 1 (none). */
  truncation: PositiveNumber,
  /** Mask post-processing. */
  filters: MaskFiltersConfig,
}, 'LatentDirectionConfig');
/** See {@link LatentDirectionConfig}. */
export type LatentDirectionConfig = t.TypeOf<typeof LatentDirectionConfig>;

/**
 * The official defaults (Melas-Kyriazi et al., BigBiGAN run).
 *
 * @example
 * ```ts
 * const cfg = { ...PAPER_CONFIG, iterations: 100 };
 * ```
 */
export const PAPER_CONFIG: LatentDirectionConfig = decodeConfigOrThrow({
  variant: 'single',
  space: 'z',
  batchSize: 32,
  iterations: 300,
  learningRate: 5e-3,
  milestones: [],
  gamma: 0.1,
  radius: { mean: 2, std: 0.5, min: 0.1 },
  losses: { radialPrior: 2, sobelShift: 10 },
  maskRadius: 5,
  truncation: 1,
  filters: { ccThreshold: 0.2, sizeRange: [0, 0.5], histogramBins: 12 },
});

function decodeConfigOrThrow(x: unknown): LatentDirectionConfig {
  const r = LatentDirectionConfig.decode(x);
  if (r._tag === 'Left') throw new Error('latent-direction: PAPER_CONFIG does not decode');
  return r.right;
}

/**
 * Decode a (partial) user config over {@link PAPER_CONFIG}: missing fields take
 * the paper's values; nested blocks merge field by field (`decodeWithDefaults`, the same merge
 * `decodeMethodConfig` and `gan-segmenter run` use).
 *
 * @example
 * ```ts
 * const r = decodeLatentDirectionConfig({ iterations: 100, losses: { sobelShift: 5 } });
 * ```
 */
export const decodeLatentDirectionConfig = (input: unknown, where = 'latent-direction config'): E.Either<ConfigError, LatentDirectionConfig> =>
  decodeWithDefaults(LatentDirectionConfig, PAPER_CONFIG, input, where);
