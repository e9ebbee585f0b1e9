/**
 * Layers as parameter records + pure apply functions.
 *
 * @module
 */
export * from './conv.ts';
export * from './norm.ts';
export * from './fused-act.ts';
export * from './upfirdn.ts';
export * from './init.ts';
export * from './equalized.ts';
export * from './modulated-conv.ts';
export * from './noise.ts';
export * from './constant-input.ts';
export * from './to-rgb.ts';
export * from './styled-conv.ts';
export * from './resblock.ts';
export * from './minibatch-stddev.ts';
export * from './adain.ts';
export * from './spade.ts';
export * from './spectral-norm.ts';
export * from './conditional-batch-norm.ts';
export * from './self-attention.ts';
export * from './biggan-layers.ts';
export * from './biggan-ops.ts';
export * from './resize-bicubic.ts';
