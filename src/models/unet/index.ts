/**
 * UNet segmenter (milesial/Pytorch-UNet structure and parameter names) and an
 * ensemble of them. The blocks (`parts.ts`) and PyTorch-name helpers
 * (`torch-names.ts`) are internal.
 *
 * @module
 */
export * from './config.ts';
export * from './model.ts';
export * from './ensemble.ts';
export type { DoubleConv, Up } from './parts.ts';
