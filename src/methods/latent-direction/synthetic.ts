/**
 * Synthetic (image, mask) pairs from a generator and a latent direction, on the
 * fly: generate in chunks, post-process, keep the images that pass the
 * filters, until a batch is full (official `GANDataset.__getitem__`, which
 * retries up to 25 times when a chunk keeps nothing).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Generator } from '../../models/generator.ts';
import type { Rng } from '../../core/rng.ts';
import { DataError } from '../../core/errors.ts';
import type { ImageBatch, MaskBatch } from '../../core/tensor.ts';
import type { MaskFilterOptions } from './masks.ts';
import type { LatentDirection } from './model.ts';

/** A batch of synthetic training pairs. */
export interface SyntheticBatch {
  /** Images G(z), [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
  /** Masks, [N,H,W,1] in {0,1}. */
  readonly masks: MaskBatch;
}

/** Options of {@link sampleSyntheticBatch}. */
export interface SyntheticOptions {
  /** Mask post-processing. */
  readonly filters: MaskFilterOptions;
  /** Latents generated per chunk. Default: the batch size. */
  readonly generationBatchSize?: number;
  /** Chunks in a row that may keep nothing before giving up. Official: 25. */
  readonly maxEmptyChunks?: number;
  /** Truncation ψ. Default 1. */
  readonly truncation?: number;
}

/** Counters of {@link sampleSyntheticBatch} (for reports: how many the filters dropped). */
export interface SyntheticStats {
  /** Images generated. */
  generated: number;
  /** Images kept. */
  kept: number;
  /** Dropped by the size filter. */
  droppedSize: number;
  /** Dropped by the histogram filter. */
  droppedHistogram: number;
}

/** New zeroed {@link SyntheticStats}. */
export const emptyStats = (): SyntheticStats => ({ generated: 0, kept: 0, droppedSize: 0, droppedHistogram: 0 });

/**
 * Exactly `n` (image, mask) pairs that pass the filters.
 *
 * @example
 * ```ts
 * const { images, masks } = sampleSyntheticBatch(g, direction, 32, rng, { filters: PAPER_MASK_FILTERS });
 * ```
 */
export const sampleSyntheticBatch = (g: Generator, d: LatentDirection, n: number, rng: Rng, opts: SyntheticOptions, stats: SyntheticStats = emptyStats()): SyntheticBatch => {
  const chunk = opts.generationBatchSize ?? n;
  const maxEmpty = opts.maxEmptyChunks ?? 25;
  const images: tf.Tensor4D[] = [];
  const masks: tf.Tensor4D[] = [];
  let have = 0, empty = 0;
  try {
    while (have < n) {
      const out = d.synthesizeMasks(g, chunk, rng, opts.filters, opts.truncation ?? 1);
      stats.generated += chunk;
      for (const v of out.verdicts) {
        if (v === 'size') stats.droppedSize++;
        else if (v === 'histogram') stats.droppedHistogram++;
      }
      const take = out.kept.slice(0, n - have);
      if (take.length > 0) {
        const idx = tf.tensor1d(take as number[], 'int32');
        images.push(tf.gather(out.images, idx) as tf.Tensor4D);
        masks.push(tf.gather(out.masks, idx) as tf.Tensor4D);
        idx.dispose();
        have += take.length;
        stats.kept += take.length;
        empty = 0;
      } else if (++empty >= maxEmpty) {
        throw new DataError('sampleSyntheticBatch', `${maxEmpty} chunks of ${chunk} images in a row kept nothing after the mask filters (size ${JSON.stringify(opts.filters.sizeRange)}, histogram bins ${opts.filters.histogramBins}); the direction may not separate foreground from background`);
      }
      for (const t of [out.images, out.masks, out.rawMasks, out.shifted]) t.dispose();
    }
    return { images: tf.concat(images, 0), masks: tf.concat(masks, 0) };
  } finally {
    for (const t of [...images, ...masks]) t.dispose();
  }
};

/**
 * An endless stream of synthetic batches (what a segmenter trainer consumes).
 *
 * @example
 * ```ts
 * for (const { images, masks } of syntheticStream(g, direction, 16, rng, opts)) { step(images, masks); images.dispose(); masks.dispose(); }
 * ```
 */
export function* syntheticStream(g: Generator, d: LatentDirection, batchSize: number, rng: Rng, opts: SyntheticOptions, stats?: SyntheticStats): IterableIterator<SyntheticBatch> {
  for (;;) yield sampleSyntheticBatch(g, d, batchSize, rng, opts, stats);
}
