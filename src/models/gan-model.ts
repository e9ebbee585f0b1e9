/**
 * The GAN architectures the library trains (`train-gan`, the pipeline's GAN stage):
 * DCGAN (default) or StyleGAN2 (`kind: stylegan2`), a config naming one of the two
 * trainable entries of the generator-family table (`registry/families.ts`).
 *
 * @module
 */
import * as t from 'io-ts';
import { decodeOrThrow } from '../core/codec.ts';
import type { Rng } from '../core/rng.ts';
import type { StateDict } from '../io/state-dict.ts';
import { DCGANConfig, type DCGANDiscriminator, type DCGANGenerator } from './dcgan/index.ts';
import { GENERATOR_FAMILIES } from './registry/families.ts';
import { StyleGAN2Config, StyleGAN2Generator, type StyleGAN2Discriminator } from './stylegan2/index.ts';

/**
 * A StyleGAN2 to train: `kind: 'stylegan2'` plus its {@link StyleGAN2Config}.
 *
 * @example
 * ```ts
 * const m = decodeOrThrow(StyleGAN2ModelConfig, { kind: 'stylegan2', resolution: 32, styleDim: 128, nMlp: 4,
 *   channelMultiplier: 1, lrMlp: 0.01, blurKernel: [1, 3, 3, 1], meanWSamples: 4096, channels: [128, 128, 64, 32] });
 * ```
 */
export const StyleGAN2ModelConfig = t.intersection([
  t.type({
    /** Selects StyleGAN2 (a config without `kind` is a DCGAN). */
    kind: t.literal('stylegan2'),
  }),
  StyleGAN2Config,
], 'StyleGAN2ModelConfig');
/** A StyleGAN2 to train. */
export type StyleGAN2ModelConfig = t.TypeOf<typeof StyleGAN2ModelConfig>;

/**
 * A GAN architecture: a {@link DCGANConfig} (no `kind`) or a {@link StyleGAN2ModelConfig}.
 *
 * @example
 * ```ts
 * const m = decodeOrThrow(GanModelConfig, dcganSmall32);
 * ```
 */
export const GanModelConfig = t.union([StyleGAN2ModelConfig, DCGANConfig], 'GanModelConfig');
/** A GAN architecture. */
export type GanModelConfig = t.TypeOf<typeof GanModelConfig>;

/**
 * Whether `m` is a StyleGAN2 architecture.
 *
 * @example
 * ```ts
 * isStyleGAN2Model({ kind: 'stylegan2' }); // true
 * ```
 */
export const isStyleGAN2Model = (m: unknown): m is StyleGAN2ModelConfig => (m as { kind?: unknown } | undefined)?.kind === 'stylegan2';

/**
 * `m` with only its architecture's fields (a StyleGAN2 model given over DCGAN defaults drops
 * the DCGAN keys), so stored configs say what was built.
 *
 * @example
 * ```ts
 * ganModelFields({ ...dcganSmall32, kind: 'stylegan2', styleDim: 64 }); // kind + StyleGAN2 keys only
 * ```
 */
export const ganModelFields = (m: GanModelConfig): GanModelConfig => {
  if (!isStyleGAN2Model(m)) return m;
  const keys = ['kind', ...Object.keys(StyleGAN2Config.types[0].props), ...Object.keys(StyleGAN2Config.types[1].props)];
  return Object.fromEntries(Object.entries(m).filter(([k]) => keys.includes(k))) as GanModelConfig;
};

/**
 * The families a GAN is trained as here (`train-gan`, the pipeline): generators with `generate(z, training)` and a discriminator.
 *
 * @example
 * ```ts
 * const f: GanFamilyName = ganModelFamily({ kind: 'stylegan2' }); // 'stylegan2'
 * ```
 */
export type GanFamilyName = 'dcgan' | 'stylegan2';

/**
 * The family of architecture `m`: `stylegan2` with `kind: 'stylegan2'`, else `dcgan`.
 *
 * @example
 * ```ts
 * ganModelFamily(dcganSmall32); // 'dcgan'
 * ```
 */
export const ganModelFamily = (m: unknown): GanFamilyName => (isStyleGAN2Model(m) ? 'stylegan2' : 'dcgan');

/**
 * A seeded generator of architecture `m` (decoded here: bad fields throw a `ConfigError`), made by its
 * {@link GENERATOR_FAMILIES} entry.
 *
 * @example
 * ```ts
 * const g = createGanGenerator(dcganSmall32, new Rng(0));
 * ```
 */
export const createGanGenerator = (m: unknown, rng: Rng, id?: string): DCGANGenerator | StyleGAN2Generator =>
  isStyleGAN2Model(m)
    ? GENERATOR_FAMILIES.stylegan2.create(decodeOrThrow(StyleGAN2ModelConfig, m), rng, id)
    : GENERATOR_FAMILIES.dcgan.create(decodeOrThrow(DCGANConfig, m, 'createDCGANGenerator'), rng, id);

/**
 * A seeded discriminator of architecture `m`, made by its {@link GENERATOR_FAMILIES} entry.
 *
 * @example
 * ```ts
 * const d = createGanDiscriminator(dcganSmall32, new Rng(0));
 * ```
 */
export const createGanDiscriminator = (m: unknown, rng: Rng): DCGANDiscriminator | StyleGAN2Discriminator =>
  isStyleGAN2Model(m)
    ? GENERATOR_FAMILIES.stylegan2.discriminator(decodeOrThrow(StyleGAN2ModelConfig, m), rng)
    : GENERATOR_FAMILIES.dcgan.discriminator(decodeOrThrow(DCGANConfig, m, 'createDCGANDiscriminator'), rng);

/** What {@link ganGeneratorWeights} returns. */
export interface GanGeneratorWeights {
  /** The tensors under the file's key names. */
  readonly tensors: StateDict;
  /** The file's `model` metadata. */
  readonly model: GanFamilyName;
}

/**
 * A generator's weights as the library's safetensors file stores them (StyleGAN2 under
 * rosinality's names) and the file's `model` metadata.
 *
 * @example
 * ```ts
 * const { tensors, model } = ganGeneratorWeights(g); // model 'dcgan' | 'stylegan2'
 * ```
 */
export const ganGeneratorWeights = (g: DCGANGenerator | StyleGAN2Generator): GanGeneratorWeights =>
  g instanceof StyleGAN2Generator
    ? { tensors: GENERATOR_FAMILIES.stylegan2.stateDict(g), model: 'stylegan2' }
    : { tensors: GENERATOR_FAMILIES.dcgan.stateDict(g), model: 'dcgan' };

/**
 * Load weights (as {@link ganGeneratorWeights} wrote them) into `g`.
 *
 * @example
 * ```ts
 * loadGanGeneratorWeights(g, tensors, 'generator.safetensors');
 * ```
 */
export const loadGanGeneratorWeights = (g: DCGANGenerator | StyleGAN2Generator, tensors: StateDict, where: string): void => {
  if (g instanceof StyleGAN2Generator) GENERATOR_FAMILIES.stylegan2.loadWeights(g, tensors, where);
  else GENERATOR_FAMILIES.dcgan.loadWeights(g, tensors, where);
};
