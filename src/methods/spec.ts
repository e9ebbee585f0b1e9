/**
 * The method seam: what every paper's folder under `src/methods/` exports — one
 * {@link MethodSpec} — and what its work produces — a {@link MaskSource} of
 * (image, mask) pairs. The pipeline, the CLI and notebooks reach every method
 * through this shape and the table in `table.ts`, nothing else.
 *
 * @module
 */
import type * as t from 'io-ts';
import type * as E from 'fp-ts/lib/Either.js';
import type { ConfigError, DataError } from '../core/errors.ts';
import { decodeWithDefaults, deepMerge } from '../core/codec.ts';
import type { PipelineContext } from '../core/events.ts';
import type { Json } from '../core/json.ts';
import type { Rng } from '../core/rng.ts';
import type { ImageSet } from '../data/tensors.ts';
import type { ProtocolName } from '../metrics/protocols.ts';
import type { Generator } from '../models/generator.ts';
import type { TrainableDiscriminator } from '../train/gan.ts';
import type { PairBatch } from '../train/segmenter.ts';

// ---------------------------------------------------------------------------
// What a method produces
// ---------------------------------------------------------------------------

/**
 * Something that makes (image, mask) pairs: the output of a method's `prepare`.
 * Masks are `[N,H,W,K]` with `K = classes`: one channel is a binary foreground
 * mask; K > 1 channels are class probabilities (one-hot for hard masks) whose
 * channel 0 is the background, so the foreground is the union of channels 1…K−1.
 *
 * @example
 * ```ts
 * const { images, masks } = source.sample(16, new Rng(0)); // [16,H,W,3], [16,H,W,source.classes]
 * ```
 */
export interface MaskSource {
  /** Discriminant. */
  readonly kind: 'mask-source';
  /** Name of the method that made it (e.g. `latent-direction`). */
  readonly method: string;
  /** Mask channels: 1 = binary foreground; K > 1 = K classes, channel 0 the background. */
  readonly classes: number;
  /** Side of the images and masks. */
  readonly resolution: number;
  /** A stable id of what the pairs come from (generator id and method), for resumable files on disk. */
  readonly sourceId: string;
  /** The generator it samples from, where there is one. */
  readonly generator?: Generator;
  /** `n` pairs (that pass the method's filters). */
  sample(n: number, rng: Rng): PairBatch;
  /** Free the method's tensors (not the generator's). */
  dispose(): void;
  /** JSON summary. */
  readonly record: Json;
}

// ---------------------------------------------------------------------------
// What a method needs
// ---------------------------------------------------------------------------

/** What a method may need from the run: a pretrained generator, its discriminator, unlabeled real images. */
export type MethodNeed = 'generator' | 'discriminator' | 'reals';

/** Everything the pipeline can hand a method. */
export interface MethodInputs {
  /** A generator (loaded from a file of any supported family, or trained in the run). */
  readonly generator: Generator;
  /** The generator's discriminator (only when the run trained or loaded one). */
  readonly discriminator: TrainableDiscriminator;
  /** Unlabeled real images at the run's resolution, [N,H,W,3] in [-1,1]. */
  readonly reals: ImageSet;
}

/**
 * The inputs a method with needs `N` receives: those it needs for sure, the rest when the run has them.
 *
 * @example
 * ```ts
 * const f = (inputs: InputsFor<'generator'>) => inputs.generator.resolution;
 * ```
 */
export type InputsFor<N extends MethodNeed> = Pick<MethodInputs, N> & Partial<MethodInputs>;

/** What a method's picture hook returns: caption → PNG path relative to the run's folder. */
export type MethodPictures = Readonly<Record<string, string>>;

// ---------------------------------------------------------------------------
// The spec
// ---------------------------------------------------------------------------

/**
 * One method: its name and paper, its config (codec and defaults, declared once),
 * what it needs, and `prepare`, which does the method's work and returns a
 * {@link MaskSource}. Optional hooks add the method's own pictures, saved files
 * and a fallback when its filters keep nothing.
 *
 * @typeParam Name - The method's name in the table (`latent-direction`).
 * @typeParam C - Its config type (from its codec).
 * @typeParam N - What it needs from the run.
 * @typeParam S - The mask source it returns.
 *
 * @example
 * ```ts
 * const centre: MethodSpec<'centre', { radius: number }, 'generator'> = {
 *   name: 'centre', paper: 'a centre-ellipse prior', codec: t.type({ radius: t.number }), defaults: { radius: 0.5 },
 *   needs: ['generator'], stage: 'prepare:centre', describe: (c) => `ellipse radius ${c.radius}`,
 *   prepare: async ({ generator }, c) => ellipseSource(generator, c.radius),
 * };
 * ```
 */
export interface MethodSpec<Name extends string = string, C = unknown, N extends MethodNeed = MethodNeed, S extends MaskSource = MaskSource> {
  /** Name in the method table and in configs (`method: latent-direction`). */
  readonly name: Name;
  /** Paper(s): authors, year, title, URL. */
  readonly paper: string;
  /** Config decoder (an io-ts codec); its type is the config type. */
  readonly codec: t.Decoder<unknown, C>;
  /** The paper's defaults: a partial user config is merged over them. */
  readonly defaults: C;
  /**
   * Overrides of the paper defaults for `gan-segmenter run` and `npm run demo` (small generators trained
   * in the run), with the reason in the method's README. Empty when the run uses the paper's values.
   */
  readonly runDefaults?: Readonly<Record<string, unknown>>;
  /** What the run must provide. */
  readonly needs: readonly N[];
  /** Name of the `prepare` stage in events, timings and records (e.g. `find-direction`). */
  readonly stage: string;
  /** Evaluation protocol of the paper (how its metrics are computed). Default `melas-kyriazi`. */
  readonly protocol?: ProtocolName;
  /**
   * The paper's segmenter loss: weights of the cross-entropy (BCE for binary masks) and of the soft Dice
   * loss. Default: the run's (cross-entropy 1, Dice 0, as Melas-Kyriazi et al.).
   */
  readonly segmenterLoss?: SegmenterLossWeights;
  /** One line for reports: the settings that matter. */
  describe(config: C): string;
  /** Do the method's work (optimise a direction, train a branch …) and return its mask source. */
  prepare(inputs: InputsFor<N>, config: C, ctx: PipelineContext): Promise<S>;
  /**
   * Save what the method learned into `dir` (e.g. `direction.safetensors`); `member` > 0 for ensemble members.
   * Returns the paths written.
   */
  save?(source: S, dir: string, member: number): readonly string[];
  /** Write the method's own pictures into `dir`; returns caption → file name. */
  pictures?(source: S, config: C, dir: string, rng: Rng): MethodPictures;
  /**
   * When making pairs failed with a {@link DataError} (e.g. the method's filters kept nothing), a relaxed
   * source to retry with and a note for the report; `undefined` gives up.
   */
  relax?(source: S, error: DataError): RelaxedSource<S> | undefined;
}

/**
 * What a method's `relax` hook returns: the source to retry with and a note for the report.
 *
 * @example
 * ```ts
 * const r: RelaxedSource<MaskSource> = { source: looser, note: 'filters off: they kept nothing' };
 * ```
 */
export interface RelaxedSource<S extends MaskSource> {
  /** The relaxed mask source. */
  readonly source: S;
  /** One sentence for the report saying what was relaxed and why. */
  readonly note: string;
}

/**
 * Weights of a segmenter's two losses.
 *
 * @example
 * ```ts
 * const ganseg: SegmenterLossWeights = { crossEntropy: 0.5, dice: 0.5 }; // train_seg.py
 * ```
 */
export interface SegmenterLossWeights {
  /** Weight of the cross-entropy (binary: BCE; K classes: softmax cross-entropy). */
  readonly crossEntropy: number;
  /** Weight of the soft Dice loss. */
  readonly dice: number;
}

/**
 * Any method spec (the element type of a method table).
 *
 * @example
 * ```ts
 * const names = (specs: readonly AnyMethodSpec[]) => specs.map((m) => m.name);
 * ```
 */
export type AnyMethodSpec = MethodSpec<string, unknown, MethodNeed, MaskSource>;

/**
 * The config type of a spec.
 *
 * @example
 * ```ts
 * type C = ConfigOf<typeof latentDirectionMethod>; // LatentDirectionConfig
 * ```
 */
export type ConfigOf<M> = M extends MethodSpec<string, infer C, MethodNeed, MaskSource> ? C : never;

/**
 * Decode a (partial) user config of a method over its paper defaults (and, with `forRun`, the run's
 * overrides of them). Every wrong field comes back in one {@link ConfigError}.
 *
 * @example
 * ```ts
 * const c = decodeMethodConfig(latentDirectionMethod, { iterations: 100 }); // Right(LatentDirectionConfig)
 * ```
 */
export const decodeMethodConfig = <C>(spec: MethodSpec<string, C, MethodNeed, MaskSource>, input: unknown, where = `${spec.name} config`, forRun = false): E.Either<ConfigError, C> =>
  decodeWithDefaults(spec.codec, forRun ? decodeDefaultsForRun(spec) : spec.defaults, input, where);

const decodeDefaultsForRun = (spec: { readonly defaults: unknown; readonly runDefaults?: Readonly<Record<string, unknown>> }): unknown =>
  deepMerge(spec.defaults, spec.runDefaults ?? {});
