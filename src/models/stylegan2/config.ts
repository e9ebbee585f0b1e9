/**
 * StyleGAN2 configuration (rosinality/stylegan2-pytorch's constructor
 * arguments), its channel table, and presets named after their source.
 *
 * @module
 */
import * as t from 'io-ts';
import { decodeOrThrow, PositiveInt, PositiveNumber, Resolution } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';

/**
 * StyleGAN2 generator/discriminator configuration. Paper defaults in each field's doc.
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(StyleGAN2Config, { ...STYLEGAN2_DEFAULTS, resolution: 256 });
 * ```
 */
export const StyleGAN2Config = t.intersection([
  t.type({
    /** Output side length, 32–1024 (power of two). rosinality `size`. FFHQ: 1024 (256 in rosinality's release). */
    resolution: Resolution,
    /** Z and W dimensionality. rosinality `style_dim`. Paper: 512. */
    styleDim: PositiveInt,
    /** Fully-connected layers of the mapping network. rosinality `n_mlp`. Paper: 8. */
    nMlp: PositiveInt,
    /** Channel multiplier for resolutions ≥ 64. rosinality `channel_multiplier`. Paper (config F): 2. */
    channelMultiplier: PositiveInt,
    /** Learning-rate multiplier of the mapping network. rosinality `lr_mlp`. Paper: 0.01. */
    lrMlp: PositiveNumber,
    /** FIR taps for up/down-sampling. Paper: [1, 3, 3, 1]. */
    blurKernel: t.array(t.number),
    /** Samples used to estimate the mean W for truncation. rosinality's scripts: 4096. */
    meanWSamples: PositiveInt,
  }),
  t.partial({
    /** Explicit channel widths per resolution, index 0 = 4×4 up to `resolution` (overrides the table; for narrow networks). */
    channels: t.array(PositiveInt),
  }),
], 'StyleGAN2Config');
/** StyleGAN2 configuration. */
export type StyleGAN2Config = t.TypeOf<typeof StyleGAN2Config>;

/** A plain (undecoded) StyleGAN2 configuration: the input {@link StyleGAN2Config} decodes. */
export interface StyleGAN2ConfigInput {
  /** Output side length, 8–1024 (power of two). */
  readonly resolution: number;
  /** Z and W dimensionality. Paper: 512. */
  readonly styleDim: number;
  /** Mapping layers. Paper: 8. */
  readonly nMlp: number;
  /** Channel multiplier for resolutions ≥ 64. Paper: 2. */
  readonly channelMultiplier: number;
  /** Mapping learning-rate multiplier. Paper: 0.01. */
  readonly lrMlp: number;
  /** FIR taps. Paper: [1, 3, 3, 1]. */
  readonly blurKernel: readonly number[];
  /** Samples for the mean W. 4096. */
  readonly meanWSamples: number;
  /** Explicit channel widths from 4×4 up (optional). */
  readonly channels?: readonly number[];
}

/**
 * The paper's defaults (config F) at 256×256, as rosinality trains by default.
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(StyleGAN2Config, { ...STYLEGAN2_DEFAULTS, resolution: 512 });
 * ```
 */
export const STYLEGAN2_DEFAULTS: StyleGAN2ConfigInput = {
  resolution: 256,
  styleDim: 512,
  nMlp: 8,
  channelMultiplier: 2,
  lrMlp: 0.01,
  blurKernel: [1, 3, 3, 1],
  meanWSamples: 4096,
};

/**
 * Names of the presets, after their source:
 * `rosinality-ffhq-256` (rosinality's FFHQ 256 release), `rosinality-ffhq-1024`,
 * `rosinality-car-512`, `rosinality-lsun-256` (NVlabs config-F checkpoints converted
 * with rosinality's `convert_weight.py`), `small-64` (64×64, channel multiplier 1).
 */
export type StyleGAN2PresetName = 'rosinality-ffhq-256' | 'rosinality-ffhq-1024' | 'rosinality-car-512' | 'rosinality-lsun-256' | 'small-64';

/**
 * Presets named after their source: the constructor arguments of the released checkpoints.
 *
 * @example
 * ```ts
 * const cfg = styleGAN2Preset('rosinality-ffhq-256');
 * ```
 */
export const STYLEGAN2_PRESETS: Readonly<Record<StyleGAN2PresetName, StyleGAN2ConfigInput>> = {
  'rosinality-ffhq-256': { ...STYLEGAN2_DEFAULTS, resolution: 256 },
  'rosinality-ffhq-1024': { ...STYLEGAN2_DEFAULTS, resolution: 1024 },
  'rosinality-car-512': { ...STYLEGAN2_DEFAULTS, resolution: 512 },
  'rosinality-lsun-256': { ...STYLEGAN2_DEFAULTS, resolution: 256 },
  'small-64': { ...STYLEGAN2_DEFAULTS, resolution: 64, channelMultiplier: 1 },
};

/**
 * A decoded preset, optionally with overrides.
 *
 * @example
 * ```ts
 * const cfg = styleGAN2Preset('rosinality-ffhq-256', { nMlp: 2 });
 * ```
 */
export const styleGAN2Preset = (name: StyleGAN2PresetName, overrides: Partial<StyleGAN2ConfigInput> = {}): StyleGAN2Config =>
  decodeOrThrow(StyleGAN2Config, { ...STYLEGAN2_PRESETS[name], ...overrides }, `styleGAN2Preset(${name})`);

/**
 * rosinality's channel table: 512 up to 32×32, then `{256,128,64,32,16}·multiplier` at 64…1024.
 *
 * @example
 * ```ts
 * defaultChannels(256, 2); // 4:512 … 32:512 64:512 128:256 256:128 (as an array from 4×4)
 * ```
 */
export const defaultChannels = (resolution: number, channelMultiplier: number): number[] => {
  const table: Record<number, number> = { 4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16 };
  const out: number[] = [];
  for (let r = 4; r <= resolution; r *= 2) {
    const c = table[r];
    if (c === undefined) throw new ConfigError('StyleGAN2Config', [{ path: 'resolution', expected: 'a power of two from 4 to 1024', given: String(resolution) }]);
    out.push(r >= 64 ? c * channelMultiplier : c);
  }
  return out;
};

/**
 * Channel widths per resolution (index 0 = 4×4) of a config; validates an explicit table's length.
 *
 * @example
 * ```ts
 * const ch = channelsOf(cfg); // ch[log2(r) - 2] = width at r×r
 * ```
 */
export const channelsOf = (cfg: StyleGAN2Config): number[] => {
  const n = Math.log2(cfg.resolution) - 1;
  if (cfg.resolution < 8 || cfg.resolution > 1024) {
    throw new ConfigError('StyleGAN2Config', [{ path: 'resolution', expected: 'a power of two from 8 to 1024', given: String(cfg.resolution) }]);
  }
  if (cfg.channels === undefined) return defaultChannels(cfg.resolution, cfg.channelMultiplier);
  if (cfg.channels.length !== n) {
    throw new ConfigError('StyleGAN2Config', [{ path: 'channels', expected: `${n} widths (4×4 … ${cfg.resolution}×${cfg.resolution})`, given: JSON.stringify(cfg.channels) }]);
  }
  return [...cfg.channels];
};
