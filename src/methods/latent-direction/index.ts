/**
 * The latent-direction method (Melas-Kyriazi et al. and Voynov et al.): learn a direction in a
 * generator's latent space that lightens the foreground and darkens the
 * background, and turn the shift into (image, mask) pairs.
 *
 * @module
 */
export * from './config.ts';
export * from './losses.ts';
export * from './masks.ts';
export * from './model.ts';
export * from './train.ts';
export * from './invert.ts';
export * from './synthetic.ts';
export * from './direction-io.ts';
export * from './direction-file.ts';
export * from './method.ts';
