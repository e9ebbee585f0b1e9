/**
 * Typed pipeline artifacts and stages. A stage is a function from one
 * artifact to a `TaskEither` of the next; artifacts carry a `kind`
 * discriminant, so composing stages in an order that does not fit fails to
 * type-check:
 *
 * ```ts
 * pipe(TE.right(gen), TE.chain(findDirection(cfg, ctx)), TE.chain(generateData(dcfg, ctx)),
 *      TE.chain(trainSegmenter(scfg, ctx)), TE.chain(evaluate(ecfg, ctx)));
 * ```
 *
 * Every artifact has a `record`: a plain JSON-serializable summary.
 *
 * @module
 */
import type * as TE from 'fp-ts/lib/TaskEither.js';
import type * as tf from '@tensorflow/tfjs';
import type { Generator } from '../models/generator.ts';
import type { MaskSource } from '../methods/spec.ts';
import type { GanSegmenterError } from '../core/errors.ts';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import type { PairBatch, PairBatches } from '../train/segmenter.ts';

export type { Json } from '../core/json.ts';
export type { PipelineContext, PipelineEvent, StageEndEvent, StageProgressEvent, StageStartEvent } from '../core/events.ts';
import type { Json } from '../core/json.ts';

/** Anything with a JSON summary (every artifact). */
export interface HasRecord {
  /** JSON summary. */
  readonly record: Json;
}

/** A stage: input artifact → (asynchronously) output artifact or a typed error. */
export type Stage<I, O> = (input: I) => TE.TaskEither<GanSegmenterError, O>;

// ---------------------------------------------------------------------------
// Artifacts
// ---------------------------------------------------------------------------

/** A generator ready to use. */
export interface GeneratorArtifact {
  /** Discriminant. */
  readonly kind: 'generator';
  /** The generator. */
  readonly generator: Generator;
  /** JSON summary (id, resolution, latent size, where it came from). */
  readonly record: Json;
}


/**
 * Something that makes (image, mask) pairs: the output of a method (see `MaskSource` in `methods/spec.ts`).
 *
 * @example
 * ```ts
 * const src: MaskSourceArtifact = await latentDirectionMethod.prepare({ generator: g }, PAPER_CONFIG, ctx);
 * ```
 */
export type MaskSourceArtifact = MaskSource;

/** A synthetic training set (in memory or streamed). */
export interface SyntheticDataArtifact {
  /** Discriminant. */
  readonly kind: 'synthetic-data';
  /** The pairs of training step `step` (a function of step and batch size only, so resumed runs see the same data). */
  readonly pairs: PairBatches;
  /** A fixed sample for pictures and sanity checks. */
  readonly preview: PairBatch;
  /** Where it lives on disk, if written. */
  readonly dir?: string;
  /** JSON summary (counts, filter statistics). */
  readonly record: Json;
  /** Free the set's tensors. */
  dispose(): void;
}

/** A trained segmenter: images → foreground probability. */
export interface SegmenterArtifact {
  /** Discriminant. */
  readonly kind: 'segmenter';
  /** Foreground probability [N,H,W,1] for images [N,H,W,3] in [-1,1] (any side the model accepts); for K-class segmenters 1 − p(background). */
  predict(images: ImageBatch): MaskBatch;
  /** Classes it was trained on: 1 (binary foreground) or K (channel 0 the background). Default 1. */
  readonly classes?: number;
  /** K-class segmenters: class probabilities [N,H,W,K] (softmax) at the images' side. */
  predictClasses?(images: ImageBatch): tf.Tensor4D;
  /** Side length the segmenter was trained at. */
  readonly resolution: number;
  /** Checkpoint path, if saved. */
  readonly checkpoint?: string;
  /** JSON summary. */
  readonly record: Json;
}

/** Metrics of a segmenter on a labelled set. */
export interface EvaluationArtifact {
  /** Discriminant. */
  readonly kind: 'evaluation';
  /** Metric name → value (accuracy, IoU, max F-beta …). */
  readonly metrics: Readonly<Record<string, number>>;
  /** The segmenter that was evaluated (for chaining further stages). */
  readonly segmenter: SegmenterArtifact;
  /** JSON summary. */
  readonly record: Json;
}
