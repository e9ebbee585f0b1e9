/**
 * Helpers to build stages: wrap a promise-returning function as a `TaskEither`
 * stage that reports start/end events and turns any thrown error into a typed one.
 *
 * @module
 */
import * as TE from 'fp-ts/lib/TaskEither.js';
import { GanSegmenterError } from '../core/errors.ts';
import type { HasRecord, PipelineContext, Stage } from './types.ts';

/** Any error → a {@link GanSegmenterError} naming the stage. */
export const toStageError = (stage: string) => (e: unknown): GanSegmenterError =>
  e instanceof GanSegmenterError ? e : new GanSegmenterError(`pipeline/${stage}`, e instanceof Error ? e.message : String(e), { cause: e });

/**
 * Make a stage from an async function; it reports `stage-start` and
 * `stage-end` (with the output's `record` and the seconds taken).
 *
 * @example
 * ```ts
 * const double: Stage<number, { record: Json; v: number }> = stage('double', ctx, async (x) => ({ v: 2 * x, record: 2 * x }));
 * ```
 */
export const stage = <I, O extends HasRecord>(name: string, ctx: PipelineContext, run: (input: I) => Promise<O>): Stage<I, O> =>
  (input: I) =>
    TE.tryCatch(async () => {
      ctx.onEvent?.({ type: 'stage-start', stage: name });
      const t0 = performance.now();
      const out = await run(input);
      ctx.onEvent?.({ type: 'stage-end', stage: name, seconds: (performance.now() - t0) / 1000, record: out.record });
      return out;
    }, toStageError(name));
