/**
 * ILSGAN (Zou et al., AAAI 2023): independent layer synthesis — a layered generator whose
 * foreground and background StyleGAN2-ADA generators are pushed toward independence: the
 * config, the `LayeredGenerator` and `LayeredDiscriminator` (forward parity with the official
 * code), the losses, training and the method spec. See the README.
 *
 * @module
 */
export * from './config.ts';
export * from './ops.ts';
export * from './networks.ts';
export * from './model.ts';
export * from './discriminator.ts';
export * from './losses.ts';
export * from './train-config.ts';
export * from './train.ts';
export * from './method.ts';
export * from './mine.ts';
