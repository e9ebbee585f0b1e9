/**
 * Latents of real images (Voynov et al.): optimisation-based projection of images
 * into a generator's latent space, so a direction can make masks for them.
 * (Voynov et al. ships BigBiGAN encoder embeddings as `.npy`; read those with the
 * library's `.npy` reader and wrap them in a {@link LatentBatch} instead.)
 *
 * Objective: ‖G(z) − x‖² (mean over pixels) + λ‖z‖²/D, Adam on z, started from a
 * prior draw (or the mean W for `w`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator } from '../../models/generator.ts';
import type { Rng } from '../../core/rng.ts';
import { assertShape, type ImageBatch } from '../../core/tensor.ts';
import type { LatentSpace } from './config.ts';
import { sampleLatents, synthesizeBatch, type LatentBatch } from './model.ts';

/** Options of {@link invertImages}. */
export interface InvertOptions {
  /** Latent space to project into. Default `z`. */
  readonly space?: LatentSpace;
  /** Adam steps. Default 200. */
  readonly steps?: number;
  /** Adam learning rate. Default 0.05. */
  readonly learningRate?: number;
  /** Weight of the latent-norm prior λ. Default 1e-3. */
  readonly latentPrior?: number;
  /** Class per image for a conditional generator (default: class 0). */
  readonly classes?: readonly number[];
  /** Called every 10 steps with the reconstruction MSE. */
  readonly onProgress?: (step: number, mse: number) => void;
}

/** Result of {@link invertImages}. */
export interface Inversion {
  /** The optimised latents (caller disposes `batch.latents`). */
  readonly batch: LatentBatch;
  /** Final per-pixel reconstruction MSE. */
  readonly mse: number;
}

/**
 * Project `images` [N,H,W,3] (in [-1,1], at the generator's resolution) into the
 * generator's latent space by gradient descent.
 *
 * @example
 * ```ts
 * const { batch, mse } = await invertImages(g, photos, new Rng(0), { steps: 300 });
 * const { masks } = direction.masksFor(g, batch, PAPER_MASK_FILTERS);
 * ```
 */
export const invertImages = async (g: Generator, images: ImageBatch, rng: Rng, opts: InvertOptions = {}): Promise<Inversion> => {
  const r = g.resolution;
  assertShape('invertImages', images, [null, r, r, 3], 'images');
  const n = images.shape[0];
  const space = opts.space ?? 'z';
  const steps = opts.steps ?? 200;
  const lambda = opts.latentPrior ?? 1e-3;
  const classes = g.numClasses !== undefined ? opts.classes ?? new Array<number>(n).fill(0) : undefined;
  const init = sampleLatents(g, n, space, rng);
  const z = tf.tidy(() => tf.variable(init.latents, true));
  init.latents.dispose();
  const shape: LatentBatch = classes ? { latents: z, space, classes } : { latents: z, space };
  const opt = tf.train.adam(opts.learningRate ?? 0.05);
  let mse = NaN;
  try {
    for (let s = 1; s <= steps; s++) {
      const cost = opt.minimize(() => {
        const rec = tf.mean(tf.squaredDifference(synthesizeBatch(g, shape, z), images));
        return tf.add(rec, tf.mul(lambda, tf.mean(tf.square(z)))) as tf.Scalar;
      }, s % 10 === 0 || s === steps, [z]);
      if (cost) {
        mse = cost.dataSync()[0] as number;
        cost.dispose();
        opts.onProgress?.(s, mse);
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    }
    mse = tf.tidy(() => tf.mean(tf.squaredDifference(synthesizeBatch(g, shape, z), images)).dataSync()[0] as number);
  } finally {
    opt.dispose();
  }
  const latents = tf.tidy(() => tf.clone(z) as tf.Tensor2D);
  z.dispose();
  return { batch: classes ? { latents, space, classes } : { latents, space }, mse };
};
