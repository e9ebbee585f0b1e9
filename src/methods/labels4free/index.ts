/**
 * Labels4Free (Abdal et al., ICCV 2021): an alpha branch on a frozen StyleGAN2 that splits each
 * image into foreground, background and a soft mask; its training (alpha net and a discriminator)
 * and the method spec. See the folder's README.
 *
 * @module
 */
export * from './config.ts';
export * from './train-config.ts';
export * from './alpha-net.ts';
export * from './model.ts';
export * from './losses.ts';
export * from './train.ts';
export * from './method.ts';
