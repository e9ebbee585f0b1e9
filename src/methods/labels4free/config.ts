/**
 * Settings of Labels4Free's alpha branch (Abdal et al., ICCV 2021), as an io-ts codec. Each field
 * says the official value (RameenAbdal/Labels4Free `model_new.py`, `train.py`, `test_sample.py`).
 *
 * @module
 */
import * as t from 'io-ts';
import type * as E from 'fp-ts/lib/Either.js';
import { PositiveInt, PowerOfTwo, Probability, decodeWithDefaults } from '../../core/codec.ts';
import type { ConfigError } from '../../core/errors.ts';

/**
 * The 4×4 tensor the background generator zeroes (`Generator.forward(back=True)`): the reference
 * zeroes the constant input when `size == 512` and conv1's output for every other size.
 */
export const BackgroundZero = t.keyof({
  /** `self.input(latent) * 0`, then conv1 as usual (noise, bias and activation still act). Reference: size 512. */
  constantInput: null,
  /** `self.conv1(...) * 0`. Reference: sizes 256 and 1024 (every size but 512). */
  conv1Output: null,
}, 'BackgroundZero');
/** See {@link BackgroundZero}. */
export type BackgroundZero = t.TypeOf<typeof BackgroundZero>;

/** The alpha branch: which features the alpha net reads, its widths, the background rule and the latent settings. */
export const AlphaBranchConfig = t.type({
  /**
   * Resolution of the first generator block the alpha net reads (both StyledConvs of that block
   * and of every later one). Reference (`min_res` and `res_idx` of train.py / model_new.py):
   * 8 at 256² (res_idx 1), 16 at 512² (res_idx 3), 32 at 1024² (res_idx 5), i.e. R/32, six blocks.
   * Below 256² the reference has no setting; ours reads every block from 8×8.
   */
  featureFrom: PowerOfTwo,
  /** Output channels of each feature map's 1×1 conv (`output_channels`); merges map 4× → 2× this. Reference: 3. */
  lateralChannels: PositiveInt,
  /** Slope of the LeakyReLU after each merge (`nn.LeakyReLU(0.2)`). Reference: 0.2. */
  negativeSlope: t.number,
  /** See {@link BackgroundZero}. Reference: `constantInput` at 512², `conv1Output` otherwise. */
  backgroundZero: BackgroundZero,
  /**
   * train.py's `--trunc`: the foreground's truncation ψ toward mean W (the background is drawn
   * from the same z untruncated). Reference default 1.0; the paper's runs: FFHQ 1.0, LSUN horse
   * 1.0, LSUN cat 0.5, LSUN car 0.3.
   */
  trainTruncation: Probability,
  /** test_sample.py (and train.py's sample grids): ψ of both fg and bg, which use separate z. Reference: 0.5. */
  sampleTruncation: Probability,
  /** test_sample.py's `--th`: hard mask = α > this. Reference: 0.9. */
  maskThreshold: Probability,
}, 'AlphaBranchConfig');
/** See {@link AlphaBranchConfig}. */
export type AlphaBranchConfig = t.TypeOf<typeof AlphaBranchConfig>;

/**
 * The reference's settings for a generator of side `resolution` (powers of two from 16).
 *
 * @example
 * ```ts
 * alphaBranchDefaults(256); // { featureFrom: 8, backgroundZero: 'conv1Output', trainTruncation: 1, … }
 * alphaBranchDefaults(512).backgroundZero; // 'constantInput'
 * alphaBranchDefaults(64).featureFrom; // 8 (every block after 4×4)
 * ```
 */
export const alphaBranchDefaults = (resolution: number): AlphaBranchConfig => ({
  featureFrom: Math.max(8, resolution / 32) as PowerOfTwo,
  lateralChannels: 3 as PositiveInt,
  negativeSlope: 0.2,
  backgroundZero: resolution === 512 ? 'constantInput' : 'conv1Output',
  trainTruncation: 1 as Probability,
  sampleTruncation: 0.5 as Probability,
  maskThreshold: 0.9 as Probability,
});

/**
 * Decode a partial config over {@link alphaBranchDefaults}: every wrong field in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * const cfg = decodeAlphaBranchConfig(256, { trainTruncation: 0.5 }); // LSUN cat
 * ```
 */
export const decodeAlphaBranchConfig = (resolution: number, input: unknown = {}): E.Either<ConfigError, AlphaBranchConfig> =>
  decodeWithDefaults(AlphaBranchConfig, alphaBranchDefaults(resolution), input);
