/**
 * DCGAN configuration (Radford et al. 2015; PyTorch's DCGAN tutorial layout).
 *
 * @module
 */
import * as t from 'io-ts';
import { PositiveInt } from '../../core/codec.ts';

/** Brand marker of {@link DCGANResolution}. */
export interface DCGANResolutionBrand {
  /** Type-level marker only. */
  readonly DCGANResolution: unique symbol;
}

/**
 * A DCGAN output side: a power of two from 16 to 128.
 *
 * @example
 * ```ts
 * const C = t.type({ resolution: DCGANResolution });
 * ```
 */
export const DCGANResolution = t.brand(
  t.number,
  (n): n is t.Branded<number, DCGANResolutionBrand> => Number.isInteger(n) && n >= 16 && n <= 128 && (n & (n - 1)) === 0,
  'DCGANResolution',
);
/** A power of two from 16 to 128. */
export type DCGANResolution = t.TypeOf<typeof DCGANResolution>;

/**
 * DCGAN generator and discriminator architecture.
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(DCGANConfig, { resolution: 32, latentDim: 128, width: 32, dWidth: 32, channels: 3, dBatchNorm: false });
 * ```
 */
export const DCGANConfig = t.type({
  /** Output side (16–128, power of two). DCGAN paper: 64. */
  resolution: DCGANResolution,
  /** Latent size. DCGAN paper: 100; ours: 128. */
  latentDim: PositiveInt,
  /** Generator channels at the last hidden layer (`ngf`); doubled per layer toward 4×4. DCGAN: 64 (128 in the paper's LSUN model). */
  width: PositiveInt,
  /** Discriminator channels at its first layer (`ndf`); doubled per layer. DCGAN: 64. */
  dWidth: PositiveInt,
  /** Image channels. DCGAN: 3. */
  channels: PositiveInt,
  /** Batch norm in the discriminator's hidden layers (DCGAN: true). Without it the hidden convs get a bias, which suits gradient penalties. */
  dBatchNorm: t.boolean,
});
/** DCGAN generator and discriminator architecture. */
export type DCGANConfig = t.TypeOf<typeof DCGANConfig>;

/**
 * A small 32×32 DCGAN for quick CPU experiments (trains in minutes on 2 cores).
 *
 * @example
 * ```ts
 * const g = createDCGANGenerator(dcganSmall32, new Rng(0));
 * ```
 */
export const dcganSmall32: DCGANConfig = {
  resolution: 32 as DCGANResolution,
  latentDim: 128 as PositiveInt,
  width: 32 as PositiveInt,
  dWidth: 32 as PositiveInt,
  channels: 3 as PositiveInt,
  dBatchNorm: false,
};

/**
 * The number of stride-2 stages between 4×4 and the output side.
 *
 * @example
 * ```ts
 * dcganStages(dcganSmall32); // 3 (4 → 8 → 16 → 32)
 * ```
 */
export const dcganStages = (c: DCGANConfig): number => Math.round(Math.log2(c.resolution / 4));
