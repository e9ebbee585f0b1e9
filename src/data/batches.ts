/**
 * Seeded batches. One data order for the whole library: epoch `e` of a set of
 * `n` items is the permutation {@link epochPermutation}`(n, seed, e)`, and every
 * batcher reads it —
 * - {@link epochBatchIndices} / {@link epochBatchesOf} / {@link epochBatches}: the
 *   batch at step `s` of an in-memory set, a pure function of (seed, step), so a
 *   resumed training run sees exactly the data an uninterrupted one would (used by
 *   the GAN and segmenter trainers, the pipeline and the CLI);
 * - {@link batches}: streaming batches from any random-access dataset (files on
 *   disk), never holding more than the prefetched batches in memory, with seeded
 *   augmentation. Same seed ⇒ same batches, whatever the prefetch depth.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng.ts';
import { DataError } from '../core/errors.ts';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import { augmentPair, type AugmentOptions, type Pair } from './augment.ts';
import type { ErrorPolicy, ImageDataset } from './folder.ts';

// ---------------------------------------------------------------------------
// The data order: seeded epochs
// ---------------------------------------------------------------------------

/**
 * The visiting order of epoch `epoch` over `n` items: a Fisher–Yates shuffle of
 * `0…n−1` drawn from `new Rng(`${seed}/epoch/${epoch}`)` (= `new Rng(seed).fork(`epoch/${epoch}`)`).
 *
 * @example
 * ```ts
 * epochPermutation(5, 'data', 0); // a permutation of [0, 1, 2, 3, 4]
 * ```
 */
export const epochPermutation = (n: number, seed: number | string, epoch: number): number[] =>
  new Rng(`${seed}/epoch/${epoch}`).shuffle(Array.from({ length: n }, (_, i) => i));

/**
 * Indices of the batch at `step` when walking `n` items in epochs, each epoch
 * a fresh {@link epochPermutation}: a pure function of its arguments. Batches run
 * on across epoch ends (the batch that crosses one takes the rest of this
 * epoch's order, then the start of the next one's).
 *
 * @example
 * ```ts
 * const idx = epochBatchIndices(200, 16, 'seed', 37); // 16 indices in [0,200)
 * ```
 */
export const epochBatchIndices = (n: number, batchSize: number, seed: number | string, step: number): number[] => {
  if (!(n >= 1)) throw new RangeError(`epochBatchIndices: need at least one item, got n=${n}`);
  const out: number[] = [];
  let pos = step * batchSize;
  const perms = new Map<number, number[]>();
  while (out.length < batchSize) {
    const epoch = Math.floor(pos / n);
    let perm = perms.get(epoch);
    if (!perm) {
      perm = epochPermutation(n, seed, epoch);
      perms.set(epoch, perm);
    }
    out.push(perm[pos % n]!);
    pos += 1;
  }
  return out;
};

/**
 * Batches as a function of the step: `(step, batchSize) => batch`. The caller
 * owns (and disposes) what it returns.
 *
 * @example
 * ```ts
 * const reals: StepBatches<tf.Tensor4D> = epochBatches(images, 'seed');
 * ```
 */
export type StepBatches<T> = (step: number, batchSize: number) => T;

/**
 * {@link StepBatches} over a record of tensors held in memory that share their
 * first dimension (images and their masks, …): each step gathers the same
 * {@link epochBatchIndices} rows from every tensor.
 *
 * @example
 * ```ts
 * const pairs = epochBatchesOf({ images, masks }, 'seed'); // images [N,H,W,3], masks [N,H,W,1]
 * const { images: x, masks: y } = pairs(0, 16);            // [16,H,W,3], [16,H,W,1]
 * tf.dispose([x, y]);
 * ```
 */
export const epochBatchesOf = <T extends Readonly<Record<string, tf.Tensor>>>(set: T, seed: number | string): StepBatches<T> => {
  const tensors = Object.values(set);
  const n = tensors[0]?.shape[0] ?? 0;
  const bad = Object.entries(set).find(([, x]) => x.shape[0] !== n);
  if (bad) throw new RangeError(`epochBatchesOf: every tensor needs the same first dimension, ${Object.keys(set)[0]} has ${n}, ${bad[0]} has ${bad[1].shape[0]}`);
  return (step, batchSize) =>
    tf.tidy(() => {
      const ix = tf.tensor1d(epochBatchIndices(n, batchSize, seed, step), 'int32');
      return Object.fromEntries(Object.entries(set).map(([k, x]) => [k, tf.gather(x, ix)])) as unknown as T;
    });
};

/**
 * {@link StepBatches} over a tensor of images held in memory (what `trainGan`'s
 * `reals` takes), in seeded epochs.
 *
 * @example
 * ```ts
 * const reals = epochBatches(images, 'seed'); // images [N,H,W,C]
 * const x = reals(0, 16);                      // [16,H,W,C]
 * ```
 */
export const epochBatches = <X extends tf.Tensor>(images: X, seed: number | string): StepBatches<X> => {
  const of = epochBatchesOf({ images }, seed);
  return (step, batchSize) => of(step, batchSize).images;
};

// ---------------------------------------------------------------------------
// Streaming batches from a dataset
// ---------------------------------------------------------------------------

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
 * the order {@link epochPermutation}`(dataset.length, rng.seed, e)` (the order of
 * {@link epochBatchIndices}; here each epoch ends on its own); sample i of epoch e is
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
      const order = (options.shuffle ?? true) ? epochPermutation(dataset.length, rng.seed, epoch) : Array.from({ length: dataset.length }, (_, i) => i);
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
