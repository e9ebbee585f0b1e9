/**
 * UNet segmenter (milesial/Pytorch-UNet structure and parameter names) and an
 * ensemble of them; `loadUNetFile` loads one from a milesial `.pt` or a safetensors
 * file. The blocks (`parts.ts`) and PyTorch-name helpers (`torch-names.ts`) are internal.
 *
 * @module
 */
export * from './config.ts';
export * from './model.ts';
export * from './ensemble.ts';
export type { DoubleConv, Up } from './parts.ts';
export * from './load.ts';
