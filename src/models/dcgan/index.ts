/**
 * DCGAN generator and discriminator (PyTorch DCGAN tutorial names), for quick experiments.
 *
 * @module
 */
export * from './config.ts';
export * from './generator.ts';
export * from './discriminator.ts';
