/**
 * The typed pipeline: artifacts, stages (fp-ts `TaskEither`), the method
 * registry with every built-in method registered.
 *
 * @module
 */
import { MethodRegistry } from './registry.ts';
import { latentDirectionMethod } from './methods/latent-direction.ts';

export * from './types.ts';
export * from './stage.ts';
export * from './registry.ts';
export * from './stages.ts';
export * from './methods/latent-direction.ts';

/**
 * A registry holding every built-in method (today: `latent-direction`).
 *
 * @example
 * ```ts
 * const reg = defaultRegistry();
 * reg.get('latent-direction');
 * ```
 */
export const defaultRegistry = (): MethodRegistry => new MethodRegistry().register(latentDirectionMethod);
export * from './segmenter.ts';
export * from './synthetic-disk.ts';
export * from './report.ts';
export * from './generators.ts';
export * from './shapes-run.ts';
export * from './segment.ts';
