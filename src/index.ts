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
export * from './nn/index.ts';
export * from './train/index.ts';
export type { Generator, SynthesizeOptions, SynthesizeResult } from './models/generator.ts';
export * from './models/index.ts';
export * from './io/index.ts';
export * from './io/weights.ts';
export type { StateDict, StoredTensor, StoredDType } from './io/state-dict.ts';
export * from './methods/index.ts';
export * from './pipeline/index.ts';
export * from './data/index.ts';
export * from './metrics/index.ts';
export * from './io/image-index.ts';
