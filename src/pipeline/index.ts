/**
 * The typed pipeline: artifacts, stages (fp-ts `TaskEither`), the generic run.
 *
 * @module
 */

export * from './types.ts';
export * from './stage.ts';
export * from './stages.ts';

export * from './segmenter.ts';
export * from './synthetic-disk.ts';
export * from './report.ts';
export * from './generators.ts';
export * from './run-config.ts';
export * from './run-inputs.ts';
export * from './run.ts';
export * from './segment.ts';
export * from './benchmark.ts';
export * from './benchmark-eval.ts';
export * from './benchmark-report.ts';
