/**
 * gan-segmenter: unsupervised foreground/background segmenters found inside GANs.
 *
 * @example
 * ```ts
 * import { initBackend, Rng } from 'gan-segmenter';
 * await initBackend();
 * const rng = new Rng(0);
 * ```
 *
 * @module
 */
export * from './core/index.ts';
export * from './backend/index.ts';
export type { Generator, SynthesizeOptions, SynthesizeResult } from './models/generator.ts';
