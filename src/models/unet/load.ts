/**
 * Loading a UNet from one file, the architecture read from the file: a milesial/Pytorch-UNet
 * checkpoint (`.pt` / `.pth`, the state dict `train.py` saves, `mask_values` ignored), or a
 * safetensors file (ours, with `__metadata__.config`, or milesial names without it).
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { WeightsError } from '../../core/errors.ts';
import { readSafetensors } from '../../io/safetensors-file.ts';
import { loadTorchCheckpoint } from '../../io/torch/load.ts';
import type { StateDict } from '../../io/state-dict.ts';
import type { UNetConfig } from './config.ts';
import { unetFromSafetensors, type UNet } from './model.ts';

/** Options of {@link loadUNetFile}. */
export interface LoadUNetFileOptions {
  /** Use this config instead of the recorded or inferred one (still validated). */
  readonly config?: unknown;
}

const DATA_PARALLEL = 'module.';

/** Drop `mask_values*` (milesial stores the mask palette next to the weights) and a DataParallel `module.` prefix. */
const milesialState = (dict: StateDict): StateDict => {
  const keys = [...dict.keys()].filter((k) => !k.startsWith('mask_values'));
  const strip = keys.length > 0 && keys.every((k) => k.startsWith(DATA_PARALLEL));
  return new Map(keys.map((k) => [strip ? k.slice(DATA_PARALLEL.length) : k, dict.get(k)!]));
};

/**
 * The UNet config a milesial-named state dict implies: `inChannels` and `width` from
 * `inc.double_conv.0.weight` [width, in, 3, 3], `nClasses` from `outc.conv.weight`, `depth`
 * from the number of `down<i>` blocks, `bilinear` from the absence of `up1.up.weight`.
 * Throws {@link WeightsError} naming the missing key when the dict is not a milesial UNet.
 *
 * @example
 * ```ts
 * inferUNetConfig(loadTorchCheckpoint('checkpoint_epoch5.pth')); // { inChannels: 3, nClasses: 2, width: 64, depth: 4, bilinear: false }
 * ```
 */
export const inferUNetConfig = (dict: StateDict, where = 'inferUNetConfig'): UNetConfig => {
  const shapeOf = (key: string): readonly number[] => {
    const t = dict.get(key);
    if (!t) throw new WeightsError(where, `not a milesial UNet state dict: no '${key}' (keys: ${[...dict.keys()].slice(0, 5).join(', ')}${dict.size > 5 ? ', …' : ''})`);
    if (t.shape.length !== 4) throw new WeightsError(where, `'${key}' should be a conv weight [out,in,kh,kw], found shape [${t.shape.join(',')}]`);
    return t.shape;
  };
  const [width, inChannels] = shapeOf('inc.double_conv.0.weight');
  const [nClasses] = shapeOf('outc.conv.weight');
  let depth = 0;
  while (dict.has(`down${depth + 1}.maxpool_conv.1.double_conv.0.weight`)) depth++;
  if (depth === 0) shapeOf('down1.maxpool_conv.1.double_conv.0.weight');
  return { inChannels, nClasses, width, depth, bilinear: !dict.has('up1.up.weight') } as UNetConfig;
};

/**
 * Load a UNet from one file, ready to `predict`: a milesial `.pt` / `.pth` / `.bin` checkpoint
 * (config inferred from the tensor shapes by {@link inferUNetConfig}), or a `.safetensors` file
 * (the config recorded by `train-segmenter`, else inferred). Every key is checked before any is
 * assigned; mismatches throw a {@link WeightsError} listing them all.
 *
 * @example
 * ```ts
 * const unet = loadUNetFile('checkpoints/checkpoint_epoch5.pth');
 * const masks = unet.predict(images); // [N,H,W,1] in [0,1]
 * ```
 */
export const loadUNetFile = (path: string, options: LoadUNetFileOptions = {}): UNet => {
  const where = `loadUNetFile(${path})`;
  if (!existsSync(path)) throw new WeightsError(where, 'file not found');
  if (statSync(path).isDirectory()) throw new WeightsError(where, 'is a folder: pass a .pt/.pth/.safetensors file (checkpoint folders load with loadSegmenter)');
  if (extname(path).toLowerCase() === '.safetensors') {
    const content = readSafetensors(path);
    const tensors = milesialState(content.tensors);
    const config = options.config ?? (content.metadata['config'] === undefined ? inferUNetConfig(tensors, where) : undefined);
    return unetFromSafetensors({ tensors, metadata: content.metadata }, where, config);
  }
  const tensors = milesialState(loadTorchCheckpoint(path));
  return unetFromSafetensors({ tensors, metadata: {} }, where, options.config ?? inferUNetConfig(tensors, where));
};
