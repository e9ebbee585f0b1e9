/**
 * Progress events of long work (a pipeline's stages, a method's optimisation): typed
 * records that notebooks and tools receive through an `onEvent` callback.
 *
 * @module
 */
import type { Json } from './json.ts';
import type { Rng } from './rng.ts';

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

/**
 * Everything a pipeline or a method reports.
 *
 * @example
 * ```ts
 * const onEvent = (e: PipelineEvent) => { if (e.type === 'stage-end') console.log(e.stage, e.seconds); };
 * ```
 */
export type PipelineEvent = StageStartEvent | StageEndEvent | StageProgressEvent;

/**
 * What every stage and method receives: its randomness, where to report, where to write.
 *
 * @example
 * ```ts
 * const ctx: PipelineContext = { rng: new Rng(0), onEvent: console.log, outDir: 'out' };
 * ```
 */
export interface PipelineContext {
  /** Root randomness; each stage forks its own stream by name. */
  readonly rng: Rng;
  /** Receives progress events. */
  readonly onEvent?: (e: PipelineEvent) => void;
  /** Output directory for files (checkpoints, grids); stages that write need it. */
  readonly outDir?: string;
}
