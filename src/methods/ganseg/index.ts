/**
 * GANSeg (He, Wandt, Rhodin, CVPR 2022): the part generator — points, heatmaps, K + 1 part masks
 * and the image — with the official parameter names. See the folder's README.
 *
 * @module
 */
export * from './config.ts';
export * from './heatmaps.ts';
export * from './parts.ts';
export * from './model.ts';
export * from './losses.ts';
