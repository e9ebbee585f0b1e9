/**
 * Direction files (`.safetensors`, written atomically) and `.npy` latents of real images.
 *
 * @module
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Generator } from '../../models/generator.ts';
import type * as tf from '@tensorflow/tfjs';
import { readNpy } from '../../io/npy-file.ts';
import { npyToTensor } from '../../io/npy.ts';
import { ShapeError } from '../../core/errors.ts';
import type { LatentSpace } from './config.ts';
import { latentSize, type LatentBatch, type LatentDirection } from './model.ts';
import { directionFromBytes, directionToBytes } from './direction-io.ts';

/**
 * Save a direction (with its generator's id) to `path`.
 *
 * @example
 * ```ts
 * saveDirection('out/direction.safetensors', direction);
 * ```
 */
export const saveDirection = (path: string, d: LatentDirection): void => {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Date.now().toString(36)}-${Math.floor(performance.now() * 1000).toString(36)}`;
  writeFileSync(tmp, directionToBytes(d));
  renameSync(tmp, path);
};

/**
 * Load a direction for generator `g` (refused if made for another generator).
 *
 * @example
 * ```ts
 * const d = loadDirection('out/direction.safetensors', g);
 * ```
 */
export const loadDirection = (path: string, g: Generator): LatentDirection => directionFromBytes(new Uint8Array(readFileSync(path)), g, `loadDirection(${path})`);

/**
 * Latents of real images from a `.npy` file (Voynov et al. ships BigBiGAN encoder
 * embeddings `[N, D]` this way), checked against the generator's latent size.
 *
 * @example
 * ```ts
 * const batch = readLatentsNpy('BigBiGAN_z.npy', g, 'z');
 * const { masks } = direction.masksFor(g, batch, PAPER_MASK_FILTERS);
 * ```
 */
export const readLatentsNpy = (path: string, g: Generator, space: LatentSpace = 'z', classes?: readonly number[]): LatentBatch => {
  const a = readNpy(path);
  const dim = latentSize(g, space);
  if (a.shape.length !== 2 || a.shape[1] !== dim) throw new ShapeError(`readLatentsNpy(${path})`, `expected latents [N, ${dim}] for generator ${g.id} (${space}), got [${a.shape.join(', ')}]`);
  const latents = npyToTensor(a) as tf.Tensor2D;
  return classes ? { latents, space, classes } : { latents, space };
};
