/**
 * Streaming, seeded batches from any random-access dataset: shuffled with the
 * {@link Rng}, never holding more than the prefetched batches in memory, with
 * seeded augmentation. Same seed ⇒ same batches, whatever the prefetch depth.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../core/rng.ts';
import { DataError } from '../core/errors.ts';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import { augmentPair, type AugmentOptions, type Pair } from './augment.ts';
import type { ErrorPolicy, ImageDataset } from './folder.ts';

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Samples per batch. */
  readonly batchSize: number;
  /** Output side (images are brought to `size × size`). */
  readonly size: number;
  /** Order and augmentation come from forks of this generator. */
  readonly rng: Rng;
  /** Shuffle each epoch. Default true. */
  readonly shuffle?: boolean;
  /** Epochs to run. Default Infinity. */
  readonly epochs?: number;
  /** Drop a last incomplete batch of an epoch. Default true. */
  readonly dropLast?: boolean;
  /** Augmentation. Default none (resize short side + centre crop). */
  readonly augment?: AugmentOptions;
  /** Batches loaded ahead while the caller works. Default 2. */
  readonly prefetch?: number;
  /** A sample that fails to load: stop (throw) or skip and count. Default `'stop'`. */
  readonly onError?: ErrorPolicy;
  /** Called for each skipped sample (with `onError: 'skip'`). */
  readonly onSkip?: (error: DataError) => void;
}

/**
 * One batch. The caller owns (and disposes) the tensors.
 *
 * @example
 * ```ts
 * const { value: b } = await batches(ds, { batchSize: 4, size: 32, rng }).next(); b.images.dispose();
 * ```
 */
export interface Batch {
  /** Images `[N,size,size,3]` in [-1, 1]. */
  readonly images: ImageBatch;
  /** Masks `[N,size,size,1]` in [0, 1], when the dataset has masks. */
  readonly masks?: MaskBatch;
  /** Sample ids, in batch order. */
  readonly ids: readonly string[];
  /** Epoch index (0-based). */
  readonly epoch: number;
  /** Samples skipped so far because of {@link DataError}s (with `onError: 'skip'`). */
  readonly skipped: number;
}

interface Loaded { readonly id: string; readonly pair: Pair }

const toBatch = (items: readonly Loaded[], size: number, epoch: number, skipped: number): Batch => {
  const n = items.length, img = new Float32Array(n * size * size * 3);
  items.forEach((it, i) => { const d = it.pair.image.data; for (let k = 0; k < d.length; k++) img[i * d.length + k] = (d[k] as number) * 2 - 1; });
  const images = tf.tensor4d(img, [n, size, size, 3]);
  const withMasks = items.every((it) => it.pair.mask);
  if (!withMasks) return { images, ids: items.map((it) => it.id), epoch, skipped };
  const m = new Float32Array(n * size * size);
  items.forEach((it, i) => m.set((it.pair.mask as NonNullable<Pair['mask']>).data, i * size * size));
  return { images, masks: tf.tensor4d(m, [n, size, size, 1]), ids: items.map((it) => it.id), epoch, skipped };
};

/**
 * Yield batches of `options.batchSize` samples. Epoch e visits the indices in
 * the order `rng.fork('epoch/e').shuffle(...)`; sample i of epoch e is
 * augmented with `rng.fork('epoch/e/sample/i')`. Loading runs `prefetch`
 * batches ahead of the consumer.
 *
 * @example
 * ```ts
 * for await (const b of batches(new SegmentationFolder(imgs, masks), { batchSize: 8, size: 64, rng: new Rng(0), epochs: 1 })) {
 *   train(b.images, b.masks); tf.dispose([b.images, b.masks]);
 * }
 * ```
 */
export async function* batches(dataset: ImageDataset, options: BatchOptions): AsyncGenerator<Batch> {
  const { batchSize, size, rng } = options;
  if (!(batchSize >= 1)) throw new RangeError(`batches: batchSize must be >= 1, got ${batchSize}`);
  const epochs = options.epochs ?? Infinity, prefetch = Math.max(0, options.prefetch ?? 2), augment = options.augment ?? {};
  const policy = options.onError ?? 'stop';
  let skipped = 0;

  const loadOne = async (epoch: number, index: number): Promise<Loaded | null> => {
    try {
      const s = await dataset.get(index);
      const pair = augmentPair(s.mask ? { image: s.image, mask: s.mask } : { image: s.image }, size, augment, rng.fork(`epoch/${epoch}/sample/${index}`));
      return { id: s.id, pair };
    } catch (e) {
      if (policy === 'skip' && e instanceof DataError) { skipped++; options.onSkip?.(e); return null; }
      throw e;
    }
  };

  const dropLast = options.dropLast ?? true;
  if (dropLast && dataset.length < batchSize)
    throw new RangeError(`batches: ${dataset.name} has ${dataset.length} samples, fewer than batchSize ${batchSize} (set dropLast: false)`);
  type Planned = { items: Loaded[]; epoch: number; last: boolean };

  // A plan of batches (as index lists) produced lazily; with onError 'skip', short batches are topped up from the next ones.
  function* plan(): Generator<Promise<Planned>> {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const all = Array.from({ length: dataset.length }, (_, i) => i);
      const order = (options.shuffle ?? true) ? rng.fork(`epoch/${epoch}`).shuffle(all) : all;
      for (let start = 0; start < order.length; start += batchSize) {
        const idx = order.slice(start, start + batchSize), last = start + batchSize >= order.length;
        yield Promise.all(idx.map((i) => loadOne(epoch, i))).then((r) => ({ items: r.filter((x): x is Loaded => x !== null), epoch, last }));
      }
    }
  }

  const queue: Array<Promise<Planned>> = [];
  const source = plan();
  const fill = (): boolean => {
    const next = source.next();
    if (next.done) return false;
    next.value.catch(() => undefined); // surfaced when awaited below
    queue.push(next.value);
    return true;
  };
  let more = true;
  for (let k = 0; k <= prefetch && more; k++) more = fill();
  let carry: Loaded[] = [];
  while (queue.length > 0) {
    const head = queue.shift() as Promise<Planned>;
    if (more) more = fill();
    const { items, epoch, last } = await head;
    carry = carry.concat(items);
    while (carry.length >= batchSize) {
      yield toBatch(carry.slice(0, batchSize), size, epoch, skipped);
      carry = carry.slice(batchSize);
    }
    if (last) {
      if (carry.length > 0 && !dropLast) yield toBatch(carry, size, epoch, skipped);
      carry = [];
    }
  }
}
