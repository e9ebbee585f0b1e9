/**
 * The GAN architectures the library trains (`train-gan`, the pipeline's GAN stage) and
 * reads back from its own weight files: DCGAN (default) or StyleGAN2 (`kind: stylegan2`).
 *
 * @module
 */
import * as t from 'io-ts';
import { decodeOrThrow } from '../core/codec.ts';
import type { Rng } from '../core/rng.ts';
import type { StateDict } from '../io/state-dict.ts';
import { createDCGANDiscriminator, createDCGANGenerator, DCGANConfig, type DCGANDiscriminator, type DCGANGenerator } from './dcgan/index.ts';
import {
  createStyleGAN2Discriminator,
  createStyleGAN2Generator,
  generatorStateDict,
  loadGeneratorStateDict,
  StyleGAN2Config,
  StyleGAN2Generator,
  type StyleGAN2Discriminator,
} from './stylegan2/index.ts';

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
 * A seeded generator of architecture `m` (decoded here: bad fields throw a `ConfigError`).
 *
 * @example
 * ```ts
 * const g = createGanGenerator(dcganSmall32, new Rng(0));
 * ```
 */
export const createGanGenerator = (m: unknown, rng: Rng, id?: string): DCGANGenerator | StyleGAN2Generator =>
  isStyleGAN2Model(m) ? createStyleGAN2Generator(decodeOrThrow(StyleGAN2ModelConfig, m), rng, id) : createDCGANGenerator(m, rng, id);

/**
 * A seeded discriminator of architecture `m`.
 *
 * @example
 * ```ts
 * const d = createGanDiscriminator(dcganSmall32, new Rng(0));
 * ```
 */
export const createGanDiscriminator = (m: unknown, rng: Rng): DCGANDiscriminator | StyleGAN2Discriminator =>
  isStyleGAN2Model(m) ? createStyleGAN2Discriminator(decodeOrThrow(StyleGAN2ModelConfig, m), rng) : createDCGANDiscriminator(m, rng);

/** What {@link ganGeneratorWeights} returns. */
export interface GanGeneratorWeights {
  /** The tensors under the file's key names. */
  readonly tensors: StateDict;
  /** The file's `model` metadata. */
  readonly model: 'dcgan' | 'stylegan2';
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
  g instanceof StyleGAN2Generator ? { tensors: generatorStateDict(g), model: 'stylegan2' } : { tensors: g.stateDict(), model: 'dcgan' };

/**
 * Load weights (as {@link ganGeneratorWeights} wrote them) into `g`.
 *
 * @example
 * ```ts
 * loadGanGeneratorWeights(g, tensors, 'generator.safetensors');
 * ```
 */
export const loadGanGeneratorWeights = (g: DCGANGenerator | StyleGAN2Generator, tensors: StateDict, where: string): void => {
  if (g instanceof StyleGAN2Generator) loadGeneratorStateDict(g, tensors, where);
  else g.loadStateDict(tensors, where);
};
