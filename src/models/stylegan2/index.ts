/**
 * StyleGAN2 (rosinality/stylegan2-pytorch structure and parameter names).
 *
 * @module
 */
export * from './config.ts';
export * from './generator.ts';
export * from './discriminator.ts';
export * from './weights.ts';
export * from './checkpoint.ts';
