/**
 * The settings of one run of {@link runMethodPipeline}: which method, which
 * generator, which images it trains on and which labelled set it is scored on,
 * the synthetic set, the segmenter, the ensemble. Declared once as an io-ts
 * codec with the demo's defaults; each method's own block (under its name, e.g.
 * `latent-direction:`) is decoded by the method's spec.
 *
 * @module
 */
import * as t from 'io-ts';
import type * as E from 'fp-ts/lib/Either.js';
import { decodeWithDefaults, PositiveInt } from '../core/codec.ts';
import type { ConfigError } from '../core/errors.ts';
import { DiffAugmentPolicy } from '../train/augment.ts';
import { SegmenterAugmentation } from '../train/segmenter.ts';
import type { ConfigOf } from '../methods/spec.ts';
import type { MethodName, METHODS } from '../methods/table.ts';

/** A folder of photos with masks of the same stems. */
export const FolderDataset = t.type({
  /** Image folder (JPEG/PNG). */
  images: t.string,
  /** Mask folder (PNG, same stems; used only for evaluation). */
  masks: t.string,
}, 'FolderDataset');
/** See {@link FolderDataset}. */
export type FolderDataset = t.TypeOf<typeof FolderDataset>;

/**
 * A labelled set to score on: `shapes` (the embedded benchmark), a directory holding `images/` and
 * `masks/`, or the two folders.
 */
export const EvalDataset = t.union([t.literal('shapes'), t.string, FolderDataset], 'EvalDataset');
/** See {@link EvalDataset}. */
export type EvalDataset = t.TypeOf<typeof EvalDataset>;

/** A folder of unlabeled photos. */
export const ImageFolderDataset = t.type({
  /** Image folder (JPEG/PNG, any nesting). */
  images: t.string,
}, 'ImageFolderDataset');

/** Unlabeled images a GAN or a method trains on: `shapes`, a folder of images (or a directory with `images/`), or `{ images }`. */
export const TrainDataset = t.union([t.literal('shapes'), t.string, ImageFolderDataset], 'TrainDataset');
/** See {@link TrainDataset}. */
export type TrainDataset = t.TypeOf<typeof TrainDataset>;

/** Evaluation settings. */
export const RunEvalConfig = t.type({
  /** The labelled set. Default `shapes`. */
  dataset: EvalDataset,
  /** `shapes` images to score (folders are scored whole). */
  count: PositiveInt,
  /**
   * Which `shapes` images to score: `test` (the held-out set the report is about) or `validation` (a
   * second set from its own seed stream, for choosing settings without looking at the test set).
   * Folder datasets have one set and ignore it.
   */
  split: t.union([t.literal('test'), t.literal('validation')]),
}, 'RunEvalConfig');

/**
 * The name of an evaluation split's `shapes` images: the seed stream they are drawn from, and the word
 * reports use for them (`held-out` for the test split, `validation` for the other).
 *
 * @example
 * ```ts
 * evalSetName('test'); // 'held-out'
 * ```
 */
export const evalSetName = (split: t.TypeOf<typeof RunEvalConfig>['split']): 'held-out' | 'validation' => (split === 'test' ? 'held-out' : 'validation');

/** A run's settings (defaults: {@link RUN_DEFAULTS}, `gan-segmenter run --help`). */
export const RunConfig = t.type({
  /** Which method of the method table (`latent-direction`). Its settings are the block of the same name. */
  method: t.string,
  /** Seed of every random draw. */
  seed: t.union([t.number, t.string]),
  /** Output folder. */
  out: t.string,
  /** Image side (the GAN's and the UNet's). */
  resolution: PositiveInt,
  /** Unlabeled images the in-run GAN (and a method that needs real images) trains on. */
  train: t.type({
    /** `shapes`, or a folder of photos. */
    dataset: TrainDataset,
    /** `shapes` images to draw (a folder is used whole). */
    count: PositiveInt,
  }),
  /** Generator: a weights file of any supported family, or a DCGAN trained in the run on `train.dataset`. */
  gan: t.type({
    /** Generator file (our safetensors of any family, a rosinality StyleGAN2 or BigGAN `.pt`, a `train-gan` checkpoint folder); '' trains a DCGAN here. */
    weights: t.string,
    /** GAN steps. */
    steps: PositiveInt,
    /** GAN batch size. */
    batchSize: PositiveInt,
    /** DCGAN `ngf`/`ndf`. */
    width: PositiveInt,
    /** DiffAugment policy for the discriminator's inputs (`color`, `translation`, `cutout`; [] = none), for GANs on few images. */
    augment: DiffAugmentPolicy,
  }),
  /** Synthetic pairs. */
  data: t.type({
    /** `memory`: draw `count` pairs once and cycle them; `stream`: fresh pairs for every batch. */
    mode: t.union([t.literal('memory'), t.literal('stream')]),
    /** Pairs kept in memory. */
    count: PositiveInt,
  }),
  /** UNet and its training. */
  unet: t.type({
    /** Channels of the first level. */ width: PositiveInt,
    /** Down/up steps. */ depth: PositiveInt,
    /** Training steps. */ steps: PositiveInt,
    /** Batch size. */ batchSize: PositiveInt,
    /** Adam learning rate (paper 1e-3). */ lr: t.number,
    /** Seeded augmentation of the synthetic pairs (`flip`, `crop`, `color`). */ augment: t.array(SegmenterAugmentation),
  }),
  /**
   * Members of the ensemble: each runs its own method, synthetic pairs and UNet (member 0 from
   * the run's seed, member m from its fork `member-m`); the evaluation averages their probabilities.
   */
  ensemble: PositiveInt,
  /** Evaluation. */
  eval: RunEvalConfig,
  /** Continue a killed run from its checkpoints in `out` (false: start over, clearing `out/gan` and `out/unet`). */
  resume: t.boolean,
}, 'RunConfig');
/** See {@link RunConfig}. */
export type RunConfig = t.TypeOf<typeof RunConfig>;

/**
 * A run config of a built-in method with its block typed: `{ method: 'latent-direction', 'latent-direction': { iterations: 100 } }`.
 *
 * @example
 * ```ts
 * const c: RunInput<'latent-direction'> = { method: 'latent-direction', 'latent-direction': { maskRadius: 2 }, unet: { steps: 300 } };
 * ```
 */
export type RunInput<M extends MethodName = MethodName> = DeepPartial<Omit<RunConfig, 'method'>> & RunMethodChoice<M> & { readonly [K in M]?: DeepPartial<ConfigOf<(typeof METHODS)[K]>> };

/** The `method` field of a {@link RunInput}. */
export interface RunMethodChoice<M extends string> {
  /** The method's name in the method table. Default `latent-direction`. */
  readonly method?: M;
}

/**
 * Every field optional, recursively; branded numbers and strings (`PositiveInt` …) as their plain type,
 * arrays kept as they are.
 *
 * @example
 * ```ts
 * const unet: DeepPartial<RunConfig['unet']> = { steps: 300 };
 * ```
 */
export type DeepPartial<T> = T extends t.Branded<infer A, unknown> ? A : T extends readonly unknown[] ? T : T extends object ? { readonly [K in keyof T]?: DeepPartial<T[K]> } : T;

/**
 * The demo's defaults (sized for a few minutes on 2 CPU cores): method `latent-direction`, seed 0, out `out`, 32² images,
 * 4000 `shapes` training images, a DCGAN of width 32 trained 1500 steps of batch 32 when no `gan.weights` is given,
 * 6000 synthetic pairs in memory, a UNet of width 16 and depth 3 trained 2400 steps of batch 16 (Adam 1e-3, flip + crop +
 * colour), one member, 200 held-out `shapes` images of the test split, no resume.
 *
 * @example
 * ```ts
 * decodeRunConfig({}); // RUN_DEFAULTS, decoded
 * ```
 */
export const RUN_DEFAULTS: Readonly<Record<string, unknown>> = {
  method: 'latent-direction',
  seed: 0,
  out: 'out',
  resolution: 32,
  train: { dataset: 'shapes', count: 4000 },
  gan: { weights: '', steps: 1500, batchSize: 32, width: 32, augment: [] },
  data: { mode: 'memory', count: 6000 },
  unet: { width: 16, depth: 3, steps: 2400, batchSize: 16, lr: 1e-3, augment: ['flip', 'crop', 'color'] },
  ensemble: 1,
  eval: { dataset: 'shapes', count: 200, split: 'test' },
  resume: false,
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Keys of earlier releases, mapped to today's: `direction` → the `latent-direction` block,
 * `dataset` → `train.dataset` and `eval.dataset`, `gan.trainImages` → `train.count`.
 * A key given both ways keeps today's.
 */
const legacyKeys = (input: Record<string, unknown>): Record<string, unknown> => {
  const u: Record<string, unknown> = { ...input };
  if ('direction' in u) {
    u['latent-direction'] = { ...(isObject(u.direction) ? u.direction : {}), ...(isObject(u['latent-direction']) ? u['latent-direction'] : {}) };
    delete u.direction;
  }
  if ('dataset' in u) {
    const d = u.dataset;
    const train = isObject(u.train) ? { ...u.train } : {};
    const ev = isObject(u.eval) ? { ...u.eval } : {};
    if (!('dataset' in train)) train.dataset = isObject(d) ? { images: d.images } : d;
    if (!('dataset' in ev)) ev.dataset = d;
    u.train = train; u.eval = ev;
    delete u.dataset;
  }
  if (isObject(u.gan) && 'trainImages' in u.gan) {
    const { trainImages, ...gan } = u.gan;
    const train = isObject(u.train) ? { ...u.train } : {};
    if (!('count' in train)) train.count = trainImages;
    u.gan = gan; u.train = train;
  }
  return u;
};

/** A decoded run config and the raw block of its method (the method's spec decodes it). */
export interface DecodedRunConfig extends RunConfig {
  /** The method's block as given (under the method's name), not yet decoded. */
  readonly methodConfig: unknown;
}

/**
 * Decode a (partial) run config over {@link RUN_DEFAULTS}. The method's own block is left raw here
 * (its spec decodes it); earlier releases' keys (`direction`, `dataset`, `gan.trainImages`) are read too.
 *
 * @example
 * ```ts
 * const cfg = decodeRunConfig({ unet: { steps: 100 }, 'latent-direction': { maskRadius: 2 } });
 * ```
 */
export const decodeRunConfig = (input: unknown, where = 'run config'): E.Either<ConfigError, DecodedRunConfig> => {
  const u = legacyKeys(isObject(input) ? input : {});
  const method = typeof u.method === 'string' ? u.method : 'latent-direction';
  const decoded = decodeWithDefaults(RunConfig, RUN_DEFAULTS, u, where);
  return decoded._tag === 'Left' ? decoded : { _tag: 'Right', right: { ...decoded.right, methodConfig: u[method] ?? {} } };
};
