/**
 * The generator families, one table: for each, its config codec, how its
 * reference state dicts are recognised and how its config is read from the
 * shapes, `create`, weights in and out, and the discriminator that goes with it.
 * Reading and writing files over this table is in `files.ts`.
 *
 * | family | reference names | config from shapes | discriminator |
 * |---|---|---|---|
 * | `dcgan` | PyTorch DCGAN tutorial (`main.<i>.*`) | no (recorded in our files' metadata, or given) | DCGAN |
 * | `stylegan2` | rosinality/stylegan2-pytorch (`g_ema` of its `.pt`) | yes | StyleGAN2 (rosinality) |
 * | `biggan-deep` | huggingface/pytorch-pretrained-BigGAN | yes (upsampling flags from the presets) | none: only G was released |
 * | `biggan` | ajbrock/BigGAN-PyTorch (BigBiGAN converted) | yes (epsilons: BigBiGAN's) | BigGAN-PyTorch projection D |
 *
 * @module
 */
import type * as t from 'io-ts';
import { decodeOrThrow } from '../../core/codec.ts';
import { Rng } from '../../core/rng.ts';
import type { Module } from '../../core/tensor.ts';
import type { StateDict } from '../../io/state-dict.ts';
import { applyStateDict, toStateDict } from '../../io/weights.ts';
import { BigGAN, createBigGANParams } from '../biggan/biggan.ts';
import { BigGANConfig, BigGANDeepConfig } from '../biggan/config.ts';
import { BigGANDeep, createBigGANDeepParams } from '../biggan/deep.ts';
import { BigGANDiscriminatorConfig, createBigGANDiscriminator, type BigGANDiscriminator } from '../biggan/discriminator.ts';
import { inferBigGANConfig, inferDeepConfig } from '../biggan/from-state-dict.ts';
import { bigganWeightTargets, deepWeightTargets, isBigGANIgnoredKey } from '../biggan/weight-names.ts';
import { DCGANConfig } from '../dcgan/config.ts';
import { createDCGANDiscriminator, type DCGANDiscriminator } from '../dcgan/discriminator.ts';
import { createDCGANGeneratorParams, DCGANGenerator } from '../dcgan/generator.ts';
import type { Generator } from '../generator.ts';
import { StyleGAN2Config } from '../stylegan2/config.ts';
import { createStyleGAN2Discriminator, type StyleGAN2Discriminator } from '../stylegan2/discriminator.ts';
import { createStyleGAN2Generator, StyleGAN2Generator } from '../stylegan2/generator.ts';
import { generatorStateDict, inferStyleGAN2Config, loadGeneratorStateDict } from '../stylegan2/weights.ts';

// ---------------------------------------------------------------------------
// The shape of one entry
// ---------------------------------------------------------------------------

/**
 * One generator family: config `C`, generator `G`, discriminator `D` (`undefined`
 * where the family has none). Everything takes a decoded config; decode with `codec` first.
 *
 * @example
 * ```ts
 * const f: GeneratorFamily<DCGANConfig, DCGANGenerator, DCGANDiscriminator> = GENERATOR_FAMILIES.dcgan;
 * const g = f.create(dcganSmall32, new Rng(0), 'my-dcgan');
 * ```
 */
export interface GeneratorFamily<C, G extends Generator, D extends Module | undefined> {
  /** The family's name: the `model` metadata of our safetensors files. */
  readonly name: string;
  /** Where its weight names and layouts come from. */
  readonly source: string;
  /** The config codec (the type is derived from it). */
  readonly codec: t.Decoder<unknown, C>;
  /**
   * The key under which the family's torch checkpoints nest the generator to sample
   * (rosinality: `g_ema`); a file without it is read as a bare generator state dict.
   */
  readonly torchKey?: string;
  /** Latents `sample` draws: `normal`, or `truncated` normal on [−2, 2] times ψ (the BigGAN scripts). */
  readonly latents: 'normal' | 'truncated';
  /** Whether a state dict holds this family's generator under its reference names. */
  matches(dict: StateDict): boolean;
  /** The config read from the tensor shapes; absent where the weights do not determine it. */
  inferConfig?(dict: StateDict, where: string): C;
  /**
   * A generator with fresh weights drawn from `rng`; without `rng`, placeholder weights
   * about to be loaded over (zeros where the family allows it, else from a fixed seed).
   */
  create(config: C, rng?: Rng, id?: string): G;
  /** Whether `g` is this family's generator. */
  owns(g: Generator): g is G;
  /** Load a state dict with the reference names into `g` (every key checked first; throws a `WeightsError`). */
  loadWeights(g: G, dict: StateDict, where: string): void;
  /** `g`'s weights as a state dict with the reference names and layouts. */
  stateDict(g: G): StateDict;
  /** `g`'s config, as our files record it (JSON in the `config` metadata). */
  configOf(g: G): C;
  /** A discriminator for the config with fresh weights drawn from `rng`; `undefined` (and `D` is `undefined`) where the family has none. */
  discriminator(config: C, rng: Rng): D;
}

/**
 * Any family, its types erased: what code over the whole table works with
 * (methods are checked bivariantly, so every entry fits).
 *
 * @example
 * ```ts
 * const f: AnyGeneratorFamily = GENERATOR_FAMILIES['biggan-deep'];
 * ```
 */
export type AnyGeneratorFamily = GeneratorFamily<unknown, Generator, Module | undefined>;

/**
 * Identity with the types checked: write an entry as `defineFamily<C, G, D>({ … })`.
 *
 * @example
 * ```ts
 * const mine = defineFamily<DCGANConfig, DCGANGenerator, undefined>({ ...GENERATOR_FAMILIES.dcgan, discriminator: () => undefined });
 * ```
 */
export const defineFamily = <C, G extends Generator, D extends Module | undefined>(f: GeneratorFamily<C, G, D>): GeneratorFamily<C, G, D> => f;

// ---------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------

/** Seed of the placeholder weights of families that cannot start from zeros (every value is then loaded over). */
const LOAD_SEED = 'load';

const dcgan = defineFamily<DCGANConfig, DCGANGenerator, DCGANDiscriminator>({
  name: 'dcgan',
  source: 'PyTorch DCGAN tutorial (`main.<i>.*`); the architecture is not in the weights',
  codec: DCGANConfig,
  latents: 'normal',
  matches: (dict) => dict.has('main.0.weight'),
  create: (config, rng, id) => new DCGANGenerator(config, createDCGANGeneratorParams(config, rng ?? new Rng(LOAD_SEED)), id),
  owns: (g): g is DCGANGenerator => g instanceof DCGANGenerator,
  loadWeights: (g, dict, where) => g.loadStateDict(dict, where),
  stateDict: (g) => g.stateDict(),
  configOf: (g) => g.config,
  discriminator: (config, rng) => createDCGANDiscriminator(config, rng),
});

const stylegan2 = defineFamily<StyleGAN2Config, StyleGAN2Generator, StyleGAN2Discriminator>({
  name: 'stylegan2',
  source: 'rosinality/stylegan2-pytorch (`style.*`, `convs.*`, `to_rgbs.*`, `noises.*`)',
  codec: StyleGAN2Config,
  torchKey: 'g_ema',
  latents: 'normal',
  matches: (dict) => dict.has('style.1.weight') && dict.has('input.input'),
  inferConfig: (dict, where) => inferStyleGAN2Config(dict, where),
  create: (config, rng, id) => createStyleGAN2Generator(config, rng ?? new Rng(LOAD_SEED), id),
  owns: (g): g is StyleGAN2Generator => g instanceof StyleGAN2Generator,
  loadWeights: (g, dict, where) => loadGeneratorStateDict(g, dict, where),
  stateDict: (g) => generatorStateDict(g),
  configOf: (g) => g.config,
  discriminator: (config, rng) => createStyleGAN2Discriminator(config, rng),
});

const bigganDeep = defineFamily<BigGANDeepConfig, BigGANDeep, undefined>({
  name: 'biggan-deep',
  source: 'huggingface/pytorch-pretrained-BigGAN (`embeddings.weight`, `generator.*`); no discriminator was released',
  codec: BigGANDeepConfig,
  latents: 'truncated',
  matches: (dict) => dict.has('embeddings.weight') && dict.has('generator.gen_z.weight_orig'),
  inferConfig: (dict, where) => inferDeepConfig(dict, where),
  create: (config, rng, id) => new BigGANDeep(config, createBigGANDeepParams(config, rng), id),
  owns: (g): g is BigGANDeep => g instanceof BigGANDeep,
  loadWeights: (g, dict, where) => applyStateDict(where, dict, deepWeightTargets(g.params)),
  stateDict: (g) => toStateDict(deepWeightTargets(g.params)),
  configOf: (g) => g.config,
  discriminator: () => undefined,
});

const biggan = defineFamily<BigGANConfig, BigGAN, BigGANDiscriminator>({
  name: 'biggan',
  source: 'ajbrock/BigGAN-PyTorch (`shared.weight`, `linear.*`, `blocks.*`, `output_layer.*`; BigBiGAN converted)',
  codec: BigGANConfig,
  latents: 'truncated',
  matches: (dict) => dict.has('shared.weight') && dict.has('linear.weight'),
  inferConfig: (dict, where) => inferBigGANConfig(dict, {}, where),
  create: (config, rng, id) => new BigGAN(config, createBigGANParams(config, rng), id),
  owns: (g): g is BigGAN => g instanceof BigGAN,
  loadWeights: (g, dict, where) => applyStateDict(where, dict, bigganWeightTargets(g.params), { ignore: isBigGANIgnoredKey }),
  stateDict: (g) => toStateDict(bigganWeightTargets(g.params)),
  configOf: (g) => g.config,
  // BigGAN-PyTorch's D at the generator's resolution, width, attention and classes (D_wide, one output).
  discriminator: (c, rng) =>
    createBigGANDiscriminator(decodeOrThrow(BigGANDiscriminatorConfig, {
      resolution: c.resolution, ch: c.ch, wide: true, attention: c.attention, numClasses: c.numClasses, outputDim: 1, snEps: c.snEps,
    }, 'GENERATOR_FAMILIES.biggan.discriminator'), rng),
});

/**
 * Every generator family the library builds, reads and writes, by the name our
 * files record in their `model` metadata. The CLI's `sample`, `train-gan` and the
 * pipeline's `loadGeneratorFile` all go through it.
 *
 * @example
 * ```ts
 * const f = GENERATOR_FAMILIES.stylegan2;
 * const g = f.create(styleGAN2Preset('small-64'), new Rng(0));
 * const d = f.discriminator(styleGAN2Preset('small-64'), new Rng(1));
 * ```
 */
export const GENERATOR_FAMILIES = {
  /** DCGAN (Radford et al. 2016), the project's own small generators. */
  dcgan,
  /** StyleGAN2 with rosinality/stylegan2-pytorch names. */
  stylegan2,
  /** BigGAN-deep with pytorch-pretrained-BigGAN names. */
  'biggan-deep': bigganDeep,
  /** BigGAN with ajbrock/BigGAN-PyTorch names (BigBiGAN weights). */
  biggan,
} as const satisfies Readonly<Record<string, AnyGeneratorFamily>>;

/**
 * A family's name: `dcgan | stylegan2 | biggan-deep | biggan`.
 *
 * @example
 * ```ts
 * const name: GeneratorFamilyName = 'biggan-deep';
 * ```
 */
export type GeneratorFamilyName = keyof typeof GENERATOR_FAMILIES;

/**
 * The family names, in table order.
 *
 * @example
 * ```ts
 * GENERATOR_FAMILY_NAMES; // ['dcgan', 'stylegan2', 'biggan-deep', 'biggan']
 * ```
 */
export const GENERATOR_FAMILY_NAMES = Object.keys(GENERATOR_FAMILIES) as readonly GeneratorFamilyName[];

/**
 * The config type of family `F`.
 *
 * @example
 * ```ts
 * const c: FamilyConfig<'dcgan'> = dcganSmall32;
 * ```
 */
export type FamilyConfig<F extends GeneratorFamilyName> = (typeof GENERATOR_FAMILIES)[F] extends GeneratorFamily<infer C, Generator, Module | undefined> ? C : never;

/**
 * Whether `name` is a family of the table.
 *
 * @example
 * ```ts
 * isGeneratorFamilyName('biggan'); // true
 * ```
 */
export const isGeneratorFamilyName = (name: unknown): name is GeneratorFamilyName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(GENERATOR_FAMILIES, name);

/**
 * The family `g` belongs to (`undefined` for a generator of no family, e.g. a wrapper).
 *
 * @example
 * ```ts
 * generatorFamilyOf(createDCGANGenerator(dcganSmall32, new Rng(0))); // 'dcgan'
 * ```
 */
export const generatorFamilyOf = (g: Generator): GeneratorFamilyName | undefined =>
  GENERATOR_FAMILY_NAMES.find((name) => (GENERATOR_FAMILIES[name] as AnyGeneratorFamily).owns(g));
