/**
 * Settings of GANSeg's part generator (He, Wandt, Rhodin, CVPR 2022), as an io-ts codec. Each
 * field names the official `Generator` hyper-parameter it mirrors (xingzhehe/GANSeg
 * `models/generator.py`, `train_gan.py`) and its value in the released `log/gan_<name>/parameters.json`.
 *
 * @module
 */
import * as t from 'io-ts';
import * as E from 'fp-ts/lib/Either.js';
import { PositiveInt, PositiveNumber, decodeOrThrow, decodeWithDefaults } from '../../core/codec.ts';
import { ConfigError, type ConfigIssue } from '../../core/errors.ts';

/** The part generator's shape: the three levels (points, masks, image) and their widths. */
export const PartGeneratorConfig = t.type({
  /** Dimension of each of the three noise vectors (`z_dim`: z_point, z_bg_app, z_part_app). Released: 256. */
  zDim: PositiveInt,
  /** Parts K (`n_keypoints`); the masks have K + 1 channels with the background. Released: 8 (taichi 10). */
  parts: PositiveInt,
  /** Points per part n_per (`n_per_kp`); a part's location is their mean, its scale their spread. Released: 4. */
  pointsPerPart: PositiveInt,
  /** Embedding width D_emb (`n_embedding`) of the part and background embeddings. Released: 64. */
  embeddingDim: PositiveInt,
  /**
   * Side of each block's feature map (`feature_map_sizes`), one entry per block; each is the previous
   * one or twice it (the official code upsamples ×2 only). The last is the image side.
   * Released: celeba_wild/taichi 32,32,64,128; cub/flower 32,32,64,64,128,128.
   */
  featureMapSizes: t.array(PositiveInt),
  /**
   * Channels entering each foreground/background block (`feature_map_channels`); the positional
   * start tensors have `featureMapChannels[0]` channels (even). Released: celeba_wild/taichi
   * 512,256,128,64; cub/flower 512,256,256,128,128,64 (the code hard-codes them for those classes).
   */
  featureMapChannels: t.array(PositiveInt),
  /** Final layer (`single_final`): true = one 1×1 conv to RGB; false = conv3×3 ⇒ LeakyReLU ⇒ conv3×3. Released: flower true, others false. */
  singleFinal: t.boolean,
  /**
   * Heatmap shape (`use_linear`): true = cone `max(0, 1 − ‖p − x_k‖/τ_k)` with τ_k the mean absolute
   * point offset; false = Gaussian `exp(−‖p − x_k‖²/τ_k)` with τ_k the unbiased variance of the
   * points' distances to their mean. Released: true (all four). Paper text: Gaussian.
   */
  useLinear: t.boolean,
  /** Area penalty against the initial heatmaps' area (`smaller_init_mask`) instead of π·τ². Released: false. */
  smallerInitMask: t.boolean,
  /** Image side the penalties are scaled by (`image_size`); must equal the last feature-map size. Released: 128. */
  imageSize: PositiveInt,
  /** Hidden channels of every SPADE's shared conv (hard-coded 128 in the official `SPADE`). */
  spadeHidden: PositiveInt,
  /** Hidden features of every AdaIN's first linear layer (hard-coded 128 in the official `AdaIN`). */
  adainHidden: PositiveInt,
  /** Divisor before the points' tanh (`point_divisor`, "VERY IMPORTANT MAGIC NUMBER"): 20. */
  pointDivisor: PositiveNumber,
  /** Pixels added on each side of every map while it is built, cropped after (`extend_pixel`): 10. */
  extendPixels: PositiveInt,
}, 'PartGeneratorConfig');
/** See {@link PartGeneratorConfig}. */
export type PartGeneratorConfig = t.TypeOf<typeof PartGeneratorConfig>;

const common = {
  zDim: 256, pointsPerPart: 4, embeddingDim: 64, useLinear: true, smallerInitMask: false, imageSize: 128,
  spadeHidden: 128, adainHidden: 128, pointDivisor: 20, extendPixels: 10,
};
const short = { featureMapSizes: [32, 32, 64, 128], featureMapChannels: [512, 256, 128, 64] };
const long = { featureMapSizes: [32, 32, 64, 64, 128, 128], featureMapChannels: [512, 256, 256, 128, 128, 64] };

const RAW_PRESETS: Readonly<Record<GanSegPresetName, unknown>> = {
  gan_celeba_wild_k8: { ...common, ...short, parts: 8, singleFinal: false },
  gan_cub_k8: { ...common, ...long, parts: 8, singleFinal: false },
  gan_flower_k8: { ...common, ...long, parts: 8, singleFinal: true },
  gan_taichi_k10: { ...common, ...short, parts: 10, singleFinal: false },
};
/** A preset's name: a `log/gan_*` folder of xingzhehe/GANSeg. */
export type GanSegPresetName = 'gan_celeba_wild_k8' | 'gan_cub_k8' | 'gan_flower_k8' | 'gan_taichi_k10';

/**
 * The released configurations, named after their `log/gan_*` folders of xingzhehe/GANSeg
 * (`gan_celeba_wild_k8`, `gan_cub_k8`, `gan_flower_k8`, `gan_taichi_k10`). Their training fields
 * (batch 64, lr_G 1e-4, lr_D 4e-4, con_penalty_coef 10, or 30 for flower and taichi,
 * area_penalty_coef 1) belong to the training config.
 *
 * @example
 * ```ts
 * const cfg = GANSEG_PRESETS.gan_cub_k8; // K = 8, six blocks 32…128
 * ```
 */
export const GANSEG_PRESETS: Readonly<Record<GanSegPresetName, PartGeneratorConfig>> = Object.fromEntries(
  Object.entries(RAW_PRESETS).map(([k, v]) => [k, decodeOrThrow(PartGeneratorConfig, v, `GANSEG_PRESETS.${k}`)]),
) as Record<GanSegPresetName, PartGeneratorConfig>;

/**
 * The constraints between fields that the official code assumes (it fails or misbehaves otherwise):
 * at least two blocks, one channel count per size, each size the previous or twice it, the last size the image side,
 * an even first width.
 *
 * @example
 * ```ts
 * partGeneratorIssues({ ...GANSEG_PRESETS.gan_cub_k8, imageSize: 64 }); // [{ path: 'imageSize', … }]
 * ```
 */
export const partGeneratorIssues = (c: PartGeneratorConfig): ConfigIssue[] => {
  const out: ConfigIssue[] = [];
  const s = c.featureMapSizes, ch = c.featureMapChannels;
  if (s.length < 2) out.push({ path: 'featureMapSizes', expected: 'at least two sizes (the mask net ends with a block to K + 1 channels)', given: `[${s.join(',')}]` });
  if (ch.length !== s.length) out.push({ path: 'featureMapChannels', expected: `${s.length} entries (one per size)`, given: `${ch.length}` });
  s.forEach((v, i) => {
    const prev = s[i - 1];
    if (prev !== undefined && v !== prev && v !== 2 * prev) out.push({ path: `featureMapSizes.${i}`, expected: `${prev} or ${2 * prev}`, given: `${v}` });
  });
  if (s.length > 0 && c.imageSize !== s[s.length - 1]) out.push({ path: 'imageSize', expected: `the last feature-map size ${s[s.length - 1]}`, given: `${c.imageSize}` });
  if (ch.length > 0 && (ch[0] as number) % 2 !== 0) out.push({ path: 'featureMapChannels.0', expected: 'an even number (sin and cos halves)', given: `${ch[0]}` });
  return out;
};

/**
 * Decode a partial config over a preset (default `gan_cub_k8`): every wrong field, and every
 * broken constraint of {@link partGeneratorIssues}, in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * const r = decodePartGeneratorConfig({ featureMapSizes: [16, 32, 64], featureMapChannels: [256, 128, 64], imageSize: 64 }, 'gan_celeba_wild_k8');
 * ```
 */
export const decodePartGeneratorConfig = (input: unknown = {}, preset: GanSegPresetName = 'gan_cub_k8'): E.Either<ConfigError, PartGeneratorConfig> => {
  const r = decodeWithDefaults(PartGeneratorConfig, GANSEG_PRESETS[preset], input);
  if (E.isLeft(r)) return r;
  const issues = partGeneratorIssues(r.right);
  return issues.length > 0 ? E.left(new ConfigError('PartGeneratorConfig', issues)) : r;
};
