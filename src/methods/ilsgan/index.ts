/**
 * ILSGAN (Zou et al., AAAI 2023): independent layer synthesis — a layered generator whose
 * foreground and background StyleGAN2-ADA generators are pushed toward independence. So far:
 * the config and the `LayeredGenerator` (forward parity with the official code). See the README.
 *
 * @module
 */
export * from './config.ts';
export * from './networks.ts';
export * from './model.ts';
