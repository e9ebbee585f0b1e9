/**
 * Configurations of the two BigGAN generators: BigGAN-deep as in
 * huggingface/pytorch-pretrained-BigGAN and BigGAN as in ajbrock/BigGAN-PyTorch
 * (which the BigBiGAN weights of "Object Segmentation Without Labels with
 * Large-Scale Generative Models" use).
 *
 * @module
 */
import * as t from 'io-ts';
import { decodeOrThrow, NonNegativeInt, PositiveInt, PositiveNumber, Resolution } from '../../core/codec.ts';
import { ConfigError } from '../../core/errors.ts';

// ---------------------------------------------------------------------------
// BigGAN-deep (pytorch-pretrained-BigGAN)
// ---------------------------------------------------------------------------

/**
 * One GenBlock of BigGAN-deep: [upsample, in-channel multiplier, out-channel multiplier].
 *
 * @example
 * ```ts
 * const block: DeepLayer = [true, 16, 8] as DeepLayer; // upsample, 16·ch → 8·ch
 * ```
 */
export const DeepLayer = t.tuple([t.boolean, PositiveInt, PositiveInt]);
/** One GenBlock of BigGAN-deep. */
export type DeepLayer = t.TypeOf<typeof DeepLayer>;

/**
 * BigGAN-deep generator configuration (`BigGANConfig` of pytorch-pretrained-BigGAN, camelCased).
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(BigGANDeepConfig, { ...BIGGAN_DEEP_PRESETS['biggan-deep-128'], numClasses: 10 });
 * ```
 */
export const BigGANDeepConfig = t.type({
  /** Output side length. Paper: 128, 256 or 512. */ outputDim: Resolution,
  /** Latent size; the class embedding has the same size. Paper: 128. */ zDim: PositiveInt,
  /** Channel width multiplier `ch`. Paper: 128. */ channelWidth: PositiveInt,
  /** Number of classes. Paper: 1000 (ImageNet). */ numClasses: PositiveInt,
  /** GenBlocks as [upsample, in, out] channel multipliers; in ≠ out must halve. Paper: see the presets. */ layers: t.array(DeepLayer),
  /** Index in `layers` before which self-attention sits. Paper: 8. */ attentionLayerPosition: NonNegativeInt,
  /** Batch-norm epsilon (also the SN epsilon). Paper: 1e-4. */ eps: PositiveNumber,
  /** Number of stored batch-norm statistics, for truncations 0..1. Paper: 51. */ nStats: PositiveInt,
});
/** BigGAN-deep generator configuration. */
export type BigGANDeepConfig = t.TypeOf<typeof BigGANDeepConfig>;

const L = (up: boolean, i: number, o: number): DeepLayer => [up, i, o] as DeepLayer;
const deepLayers128 = [L(false, 16, 16), L(true, 16, 16), L(false, 16, 16), L(true, 16, 8), L(false, 8, 8), L(true, 8, 4), L(false, 4, 4), L(true, 4, 2), L(false, 2, 2), L(true, 2, 1)];
const deepLayers256 = [L(false, 16, 16), L(true, 16, 16), L(false, 16, 16), L(true, 16, 8), L(false, 8, 8), L(true, 8, 8), L(false, 8, 8), L(true, 8, 4), L(false, 4, 4), L(true, 4, 2), L(false, 2, 2), L(true, 2, 1)];
const deepLayers512 = [...deepLayers256, L(false, 1, 1), L(true, 1, 1)];
const deep = (outputDim: number, layers: DeepLayer[]): BigGANDeepConfig =>
  decodeOrThrow(BigGANDeepConfig, { outputDim, zDim: 128, channelWidth: 128, numClasses: 1000, layers, attentionLayerPosition: 8, eps: 1e-4, nStats: 51 }, 'BIGGAN_DEEP_PRESETS');

/**
 * The released BigGAN-deep configurations (`convert_tf_to_pytorch.py`'s BigGAN128/256/512).
 *
 * @example
 * ```ts
 * const cfg = BIGGAN_DEEP_PRESETS['biggan-deep-256'];
 * ```
 */
export const BIGGAN_DEEP_PRESETS: Readonly<Record<'biggan-deep-128' | 'biggan-deep-256' | 'biggan-deep-512', BigGANDeepConfig>> = {
  'biggan-deep-128': deep(128, deepLayers128),
  'biggan-deep-256': deep(256, deepLayers256),
  'biggan-deep-512': deep(512, deepLayers512),
};

/**
 * Decode a pytorch-pretrained-BigGAN `config.json` (snake_case; missing fields take the reference defaults).
 *
 * @example
 * ```ts
 * const cfg = deepConfigFromJson(JSON.parse(readFileSync('config.json', 'utf8')));
 * ```
 */
export const deepConfigFromJson = (json: unknown, where = 'config.json'): BigGANDeepConfig => {
  const j = (json ?? {}) as Record<string, unknown>;
  const d = BIGGAN_DEEP_PRESETS['biggan-deep-128'];
  const pick = (k: string, dflt: unknown): unknown => (k in j ? j[k] : dflt);
  return decodeOrThrow(BigGANDeepConfig, {
    outputDim: pick('output_dim', d.outputDim), zDim: pick('z_dim', d.zDim), channelWidth: pick('channel_width', d.channelWidth),
    numClasses: pick('num_classes', d.numClasses), layers: pick('layers', d.layers),
    attentionLayerPosition: pick('attention_layer_position', d.attentionLayerPosition), eps: pick('eps', d.eps), nStats: pick('n_stats', d.nStats),
  }, where);
};

/**
 * Throws a ConfigError when the blocks do not chain (16·ch in, ch out, halvings only, ups reach `outputDim`).
 *
 * @example
 * ```ts
 * checkDeepConfig(BIGGAN_DEEP_PRESETS['biggan-deep-128']); // passes
 * ```
 */
export const checkDeepConfig = (c: BigGANDeepConfig, where = 'BigGANDeepConfig'): void => {
  const issues: { path: string; expected: string; given: string }[] = [];
  const ls = c.layers;
  if (ls.length === 0 || ls[0]![1] !== 16) issues.push({ path: 'layers.0', expected: 'first block input multiplier 16 (gen_z makes 16·ch channels)', given: JSON.stringify(ls[0]) });
  if (ls.length > 0 && ls[ls.length - 1]![2] !== 1) issues.push({ path: `layers.${ls.length - 1}`, expected: 'last block output multiplier 1', given: JSON.stringify(ls[ls.length - 1]) });
  ls.forEach(([, i, o], k) => {
    if (i !== o && o * 2 !== i) issues.push({ path: `layers.${k}`, expected: 'out = in or in / 2', given: JSON.stringify(ls[k]) });
    if (k > 0 && ls[k - 1]![2] !== i) issues.push({ path: `layers.${k}`, expected: `input multiplier ${ls[k - 1]![2]}`, given: String(i) });
    if (((c.channelWidth * i) / 4) % 1 !== 0) issues.push({ path: `layers.${k}`, expected: 'in·ch divisible by 4', given: String(c.channelWidth * i) });
  });
  const ups = ls.filter((l) => l[0]).length;
  if (4 * 2 ** ups !== c.outputDim) issues.push({ path: 'outputDim', expected: `4·2^${ups} = ${4 * 2 ** ups} (from the upsampling blocks)`, given: String(c.outputDim) });
  if (c.attentionLayerPosition > ls.length) issues.push({ path: 'attentionLayerPosition', expected: `≤ ${ls.length}`, given: String(c.attentionLayerPosition) });
  if (c.channelWidth < 3) issues.push({ path: 'channelWidth', expected: '≥ 3 (RGB is the first 3 channels of conv_to_rgb)', given: String(c.channelWidth) });
  if (c.nStats < 2) issues.push({ path: 'nStats', expected: '≥ 2', given: String(c.nStats) });
  if (issues.length > 0) throw new ConfigError(where, issues);
};

// ---------------------------------------------------------------------------
// BigGAN (BigGAN-PyTorch)
// ---------------------------------------------------------------------------

/**
 * BigGAN generator configuration (the arguments of BigGAN-PyTorch's `Generator`, camelCased).
 * Only `G_shared = True` and `norm_style = 'bn'` are supported.
 *
 * @example
 * ```ts
 * const cfg = decodeOrThrow(BigGANConfig, { ...BIGGAN_PRESETS['bigbigan-128'], ch: 4, resolution: 32 });
 * ```
 */
export const BigGANConfig = t.type({
  /** Output side length: 32, 64, 128, 256 or 512. BigBiGAN: 128. */ resolution: Resolution,
  /** Channel width multiplier `G_ch`. Paper / BigBiGAN: 96. */ ch: PositiveInt,
  /** Latent size `dim_z` (rounded down to a multiple of the slots when hierarchical). BigBiGAN: 120. */ dimZ: PositiveInt,
  /** Shared class-embedding size `shared_dim`. BigBiGAN: 128. */ sharedDim: PositiveInt,
  /** Hierarchical latents (z split into one chunk per block plus one for the input). BigBiGAN: true. */ hier: t.boolean,
  /** Resolutions with self-attention after their block (`G_attn` '64' → [64]). BigBiGAN: [64]. */ attention: t.array(PositiveInt),
  /** Number of classes of the shared embedding. BigBiGAN: 1000 (only class 0 is used). */ numClasses: PositiveInt,
  /** Conditional batch-norm epsilon `BN_eps`. BigBiGAN: 1e-4 (BigGAN-PyTorch default 1e-5). */ bnEps: PositiveNumber,
  /** Spectral-norm epsilon `SN_eps`. BigBiGAN: 1e-4 (BigGAN-PyTorch default 1e-12). */ snEps: PositiveNumber,
  /** Epsilon of the output batch norm (`layers.bn` is built without `BN_eps`). Reference: 1e-5. */ outputBnEps: PositiveNumber,
  /** Unconditional use: class 0 for every sample and `numClasses` hidden (BigBiGAN's `UnconditionalBigGAN`). */ unconditional: t.boolean,
});
/** BigGAN generator configuration. */
export type BigGANConfig = t.TypeOf<typeof BigGANConfig>;
/** Fields replacing inferred ones (plain numbers; decoded and checked with the rest). */
export type BigGANConfigOverrides = Partial<t.OutputOf<typeof BigGANConfig>>;

/** One block of {@link bigganArch}. */
export interface BigGANStage {
  /** Input channels. */
  readonly inChannels: number;
  /** Output channels. */
  readonly outChannels: number;
  /** Output resolution of the block. */
  readonly resolution: number;
  /** Self-attention after the block. */
  readonly attention: boolean;
}

const ARCH: Readonly<Record<number, readonly [readonly number[], readonly number[]]>> = {
  512: [[16, 16, 8, 8, 4, 2, 1], [16, 8, 8, 4, 2, 1, 1]],
  256: [[16, 16, 8, 8, 4, 2], [16, 8, 8, 4, 2, 1]],
  128: [[16, 16, 8, 4, 2], [16, 8, 4, 2, 1]],
  64: [[16, 16, 8, 4], [16, 8, 4, 2]],
  32: [[4, 4, 4], [4, 4, 4]],
};

/**
 * BigGAN-PyTorch's `G_arch` for a configuration: every block upsamples 2×, from 4×4.
 *
 * @example
 * ```ts
 * bigganArch(BIGGAN_PRESETS['bigbigan-128']).length; // 5
 * ```
 */
export const bigganArch = (c: BigGANConfig): BigGANStage[] => {
  const a = ARCH[c.resolution];
  if (!a) throw new ConfigError('bigganArch', [{ path: 'resolution', expected: '32 | 64 | 128 | 256 | 512', given: String(c.resolution) }]);
  return a[0].map((m, i) => {
    const resolution = 8 * 2 ** i;
    return { inChannels: m * c.ch, outChannels: a[1][i]! * c.ch, resolution, attention: (c.attention as readonly number[]).includes(resolution) };
  });
};

/**
 * Latent layout of a BigGAN configuration, as {@link bigganLatent} computes it.
 *
 * @example
 * ```ts
 * const { slots, chunk, dimZ }: BigGANLatentLayout = bigganLatent(BIGGAN_PRESETS['bigbigan-128']); // 6, 20, 120
 * ```
 */
export interface BigGANLatentLayout {
  /** Latent slots: one per block plus the initial linear layer when hierarchical, else 1. */
  readonly slots: number;
  /** Latent entries per slot (`z_chunk_size`); 0 when not hierarchical. */
  readonly chunk: number;
  /** Latent size actually used: `slots · chunk` when hierarchical (BigGAN-PyTorch drops the remainder), else the configured `dimZ`. */
  readonly dimZ: number;
}

/**
 * Latent layout of a configuration: number of slots and chunk size (`z_chunk_size`, 0 when not hierarchical).
 *
 * @example
 * ```ts
 * bigganLatent(BIGGAN_PRESETS['bigbigan-128']); // { slots: 6, chunk: 20, dimZ: 120 }
 * ```
 */
export const bigganLatent = (c: BigGANConfig): BigGANLatentLayout => {
  const blocks = bigganArch(c).length;
  if (!c.hier) return { slots: 1, chunk: 0, dimZ: c.dimZ };
  const slots = blocks + 1;
  const chunk = Math.floor(c.dimZ / slots);
  if (chunk < 1) throw new ConfigError('bigganLatent', [{ path: 'dimZ', expected: `≥ ${slots} (one per slot)`, given: String(c.dimZ) }]);
  return { slots, chunk, dimZ: chunk * slots };
};

/**
 * Named BigGAN configurations. `bigbigan-128`: BigGANsAreWatching's `make_biggan_config(128)` for the converted BigBiGAN weights.
 *
 * @example
 * ```ts
 * const g = createBigGAN(BIGGAN_PRESETS['bigbigan-128'], new Rng(0));
 * ```
 */
export const BIGGAN_PRESETS: Readonly<Record<'bigbigan-128', BigGANConfig>> = {
  'bigbigan-128': decodeOrThrow(BigGANConfig, {
    resolution: 128, ch: 96, dimZ: 120, sharedDim: 128, hier: true, attention: [64], numClasses: 1000,
    bnEps: 1e-4, snEps: 1e-4, outputBnEps: 1e-5, unconditional: true,
  }, 'BIGGAN_PRESETS'),
};
