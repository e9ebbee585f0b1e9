/**
 * Networks: one folder per model.
 *
 * @module
 */
export * from './stylegan2/index.ts';
export * from './biggan/index.ts';
export * from './unet/index.ts';
export * from './dcgan/index.ts';
export * from './gan-model.ts';
export * from './registry/index.ts';
