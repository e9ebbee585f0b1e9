/**
 * GANSeg (He, Wandt, Rhodin, CVPR 2022): the part generator — points, heatmaps, K + 1 part masks
 * and the image — with the official parameter names; its discriminator, training (`train_gan.py`) and the
 * method spec (`prepare` trains on unlabeled images, K + 1 classes). See the folder's README.
 *
 * @module
 */
export * from './config.ts';
export * from './heatmaps.ts';
export * from './parts.ts';
export * from './model.ts';
export * from './losses.ts';
export * from './discriminator.ts';
export * from './train-config.ts';
export * from './train.ts';
export * from './method.ts';
export * from './landmarks.ts';
