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
import type { Generator } from '../models/generator.ts';
import type { Rng } from '../core/rng.ts';
import type { GanSegmenterError } from '../core/errors.ts';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import type { PairBatch, PairBatches } from '../train/segmenter.ts';

/** A JSON value (what every `record` is made of). */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** Anything with a JSON summary (every artifact). */
export interface HasRecord {
  /** JSON summary. */
  readonly record: Json;
}

/** A stage: input artifact → (asynchronously) output artifact or a typed error. */
export type Stage<I, O> = (input: I) => TE.TaskEither<GanSegmenterError, O>;

// ---------------------------------------------------------------------------
// Events and context
// ---------------------------------------------------------------------------

/** A stage started. */
export interface StageStartEvent {
  /** Discriminant. */
  readonly type: 'stage-start';
  /** Stage name. */
  readonly stage: string;
}
/** A stage finished. */
export interface StageEndEvent {
  /** Discriminant. */
  readonly type: 'stage-end';
  /** Stage name. */
  readonly stage: string;
  /** Wall-clock seconds. */
  readonly seconds: number;
  /** The stage's output record. */
  readonly record: Json;
}
/** Progress inside a stage (loss values, steps). */
export interface StageProgressEvent {
  /** Discriminant. */
  readonly type: 'stage-progress';
  /** Stage name. */
  readonly stage: string;
  /** Steps done. */
  readonly step: number;
  /** Total steps. */
  readonly total: number;
  /** Named scalars (losses, metrics). */
  readonly scalars: Readonly<Record<string, number>>;
}
/** Everything a pipeline reports. */
export type PipelineEvent = StageStartEvent | StageEndEvent | StageProgressEvent;

/** Shared context of a pipeline run. */
export interface PipelineContext {
  /** Root randomness; each stage forks its own stream by name. */
  readonly rng: Rng;
  /** Receives progress events. */
  readonly onEvent?: (e: PipelineEvent) => void;
  /** Output directory for files (checkpoints, grids); stages that write need it. */
  readonly outDir?: string;
}

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


/** Something that makes (image, mask) pairs from a generator: the output of a method. */
export interface MaskSourceArtifact {
  /** Discriminant. */
  readonly kind: 'mask-source';
  /** Registry name of the method that made it (e.g. `latent-direction`). */
  readonly method: string;
  /** The generator it samples from. */
  readonly generator: Generator;
  /** `n` pairs that pass the method's filters. */
  sample(n: number, rng: Rng): PairBatch;
  /** Free the method's tensors (not the generator's). */
  dispose(): void;
  /** JSON summary. */
  readonly record: Json;
}

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
  /** Foreground probability [N,H,W,1] for images [N,H,W,3] in [-1,1] (any side the model accepts). */
  predict(images: ImageBatch): MaskBatch;
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
