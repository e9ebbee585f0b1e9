/**
 * Drawing many generated pairs a bounded number at a time (what a method's mask source does in
 * `sample`), so a large request never holds one huge forward pass.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import type { PairBatch } from './segmenter.ts';

/** Pairs a mask source generates at a time. */
export const PAIR_CHUNK = 16;

/**
 * `n` pairs drawn `chunk` at a time: chunk i holds min(chunk, n − i·chunk) pairs drawn from
 * `rng.fork('chunk-i')`; the chunks are concatenated along N and freed (a single chunk is
 * returned as drawn).
 *
 * @example
 * ```ts
 * const { images, masks } = sampleInChunks(40, rng, (k, r) => drawPairs(g, k, r)); // chunks of 16, 16, 8
 * ```
 */
export const sampleInChunks = (n: number, rng: Rng, draw: (n: number, rng: Rng) => PairBatch, chunk = PAIR_CHUNK): PairBatch => {
  const parts: PairBatch[] = [];
  for (let i = 0; i * chunk < n; i++) parts.push(draw(Math.min(chunk, n - i * chunk), rng.fork(`chunk-${i}`)));
  if (parts.length === 1) return parts[0]!;
  const out = { images: tf.concat(parts.map((p) => p.images)) as ImageBatch, masks: tf.concat(parts.map((p) => p.masks)) as MaskBatch };
  for (const p of parts) { p.images.dispose(); p.masks.dispose(); }
  return out;
};
