/**
 * The one generator interface every method uses.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import type { ImageBatch, Module } from '../core/tensor.ts';

/** Options of {@link Generator.synthesize}. */
export interface SynthesizeOptions {
  /** Class indices (conditional generators), one per latent. */
  readonly classes?: tf.Tensor1D | readonly number[];
  /** Truncation ψ (style-based: lerp toward mean W; BigGAN: stored statistics for this truncation). Default 1. */
  readonly truncation?: number;
  /** The latents are already in W (style-based) rather than Z. Default false. */
  readonly inputIsW?: boolean;
  /** Noise inputs: the stored ones (`'stored'`, default) or fresh ones from `rng` (`'random'`). */
  readonly noise?: 'stored' | 'random';
  /** Randomness for `noise: 'random'`. */
  readonly rng?: Rng;
  /** Also return intermediate features (e.g. Labels4Free reads them). Default false. */
  readonly returnFeatures?: boolean;
  /** Run in training mode (batch-norm statistics, dropout). Default false. */
  readonly training?: boolean;
}

/** Output of {@link Generator.synthesize}. */
export interface SynthesizeResult {
  /** Images NHWC in [-1, 1] (not clamped: the network's raw output). */
  readonly images: ImageBatch;
  /** Intermediate features, keyed by name, when asked for. */
  readonly features?: Readonly<Record<string, tf.Tensor4D>>;
}

/**
 * A generator: latent sampler, synthesis, and (for style-based models) the W path.
 *
 * @example
 * ```ts
 * const z = g.sampleLatent(4, new Rng(0));
 * const { images } = g.synthesize(z);   // [4,H,W,3] in [-1,1]
 * ```
 */
export interface Generator extends Module {
  /** A stable identifier of the architecture and weights (used to refuse directions made for another model). */
  readonly id: string;
  /** Size of one latent vector (Z). */
  readonly latentDim: number;
  /** Output side length. */
  readonly resolution: number;
  /** Number of classes for conditional generators; undefined when unconditional. */
  readonly numClasses?: number;
  /** Draw `n` latents from the prior. */
  sampleLatent(n: number, rng: Rng): tf.Tensor2D;
  /** Latents (Z, or W when `inputIsW`) → images. */
  synthesize(latents: tf.Tensor2D, options?: SynthesizeOptions): SynthesizeResult;
  /** Style-based only: map Z → W. */
  mapToW?(z: tf.Tensor2D, options?: { classes?: tf.Tensor1D | readonly number[] }): tf.Tensor2D;
  /** Style-based only: the mean W (estimated from many samples), for truncation. */
  meanW?(): tf.Tensor1D;
  /** Style-based only: dimensionality of W. */
  readonly wDim?: number;
}
