/**
 * Whole data sets as tensors at one square side: the one loader the CLI, the
 * pipeline and the examples use for labelled sets (evaluation) and unlabeled
 * images (GAN and method training). Images come out NHWC in [-1, 1], masks
 * NHW1 in {0, 1}.
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ImageBatch, MaskBatch } from '../core/tensor.ts';
import { DataError } from '../core/errors.ts';
import type { Rng } from '../core/rng.ts';
import { readImage } from '../io/image-file.ts';
import { channel, toRgb } from '../io/image.ts';
import { fitSquare } from './augment.ts';
import { ImageFolder, SegmentationFolder } from './folder.ts';
import { shapesDataset } from './shapes.ts';

/** A labelled set to evaluate on. */
export interface LabelledSet {
  /** Name for reports. */
  readonly name: string;
  /** Images [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
  /** Ground-truth masks [N,H,W,1] in {0,1}. */
  readonly masks: MaskBatch;
}

/** Unlabeled images (what a GAN or a method trains on). */
export interface ImageSet {
  /** Name for reports and ids. */
  readonly name: string;
  /** Images [N,H,W,3] in [-1,1]. */
  readonly images: ImageBatch;
}

/** The two folders of a labelled photo set. */
export interface LabelledFolders {
  /** Image folder (JPEG/PNG, any nesting). */
  readonly images: string;
  /** Mask folder (PNG with the images' stems). */
  readonly masks: string;
}

/**
 * The folders of a labelled set given as one directory: `<dir>/images` and `<dir>/masks`
 * (the layout of `shared/datasets/weizmann-horse`, and of what `generate --out` writes).
 * A {@link DataError} names the missing folder.
 *
 * @example
 * ```ts
 * resolveLabelledDir('data/weizmann-horse'); // { images: 'data/weizmann-horse/images', masks: 'data/weizmann-horse/masks' }
 * ```
 */
export const resolveLabelledDir = (dir: string): LabelledFolders => {
  const f = { images: join(dir, 'images'), masks: join(dir, 'masks') };
  for (const p of [f.images, f.masks]) {
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new DataError('resolveLabelledDir', `expected a folder ${p} (a labelled set is <dir>/images and <dir>/masks)`, p);
  }
  return f;
};

/**
 * The image folder of an unlabeled set given as a directory: `<dir>/images` when it
 * exists, else `<dir>` itself.
 *
 * @example
 * ```ts
 * resolveImageDir('data/weizmann-horse'); // 'data/weizmann-horse/images'
 * ```
 */
export const resolveImageDir = (dir: string): string => {
  const sub = join(dir, 'images');
  return existsSync(sub) && statSync(sub).isDirectory() ? sub : dir;
};

const toSquare = (file: string, size: number, maskFile?: string): { image: Float32Array; mask?: Float32Array } => {
  const p = fitSquare(maskFile === undefined ? { image: toRgb(readImage(file)) } : { image: toRgb(readImage(file)), mask: channel(readImage(maskFile), 0) }, size);
  const image = new Float32Array(size * size * 3);
  for (let k = 0; k < image.length; k++) image[k] = (p.image.data[k] as number) * 2 - 1;
  if (!p.mask) return { image };
  const mask = new Float32Array(size * size);
  for (let k = 0; k < mask.length; k++) mask[k] = (p.mask.data[k] as number) > 0.5 ? 1 : 0;
  return { image, mask };
};

/**
 * A folder of photos and masks as tensors at `size`² (short side resized,
 * centre-cropped; nearest for masks): images [-1,1], masks {0,1}. Pairs are
 * matched as {@link SegmentationFolder} matches them (relative file stem, any
 * nesting); an image without a mask, or a mask without an image, is a
 * {@link DataError} naming the file.
 *
 * @example
 * ```ts
 * const set = loadLabelledFolder({ images: 'horse/images', masks: 'horse/masks' }, 32);
 * ```
 */
export const loadLabelledFolder = (folders: LabelledFolders, size: number): LabelledSet => {
  const { pairs } = new SegmentationFolder(folders.images, folders.masks);
  const n = pairs.length;
  const img = new Float32Array(n * size * size * 3), msk = new Float32Array(n * size * size);
  pairs.forEach((p, i) => {
    const s = toSquare(join(folders.images, p.image), size, join(folders.masks, p.mask));
    img.set(s.image, i * size * size * 3);
    msk.set(s.mask as Float32Array, i * size * size);
  });
  return { name: folders.images, images: tf.tensor4d(img, [n, size, size, 3]), masks: tf.tensor4d(msk, [n, size, size, 1]) };
};

/**
 * A folder of unlabeled photos as tensors at `size`² (short side resized, centre-cropped).
 *
 * @example
 * ```ts
 * const reals = loadImageFolder('horse/images', 32); // [200,32,32,3]
 * ```
 */
export const loadImageFolder = (dir: string, size: number): ImageSet => {
  const { files } = new ImageFolder(dir);
  const img = new Float32Array(files.length * size * size * 3);
  files.forEach((f, i) => img.set(toSquare(join(dir, f), size).image, i * size * size * 3));
  return { name: basename(dir) === 'images' ? basename(join(dir, '..')) : basename(dir), images: tf.tensor4d(img, [files.length, size, size, 3]) };
};

/**
 * `n` images of the embedded `shapes` benchmark (drawn from `rng`) as tensors: images [-1,1], exact masks {0,1}.
 *
 * @example
 * ```ts
 * const set = await loadShapes(new Rng('held-out'), 200, 32);
 * ```
 */
export const loadShapes = async (rng: Rng, n: number, size: number): Promise<LabelledSet> => {
  const ds = shapesDataset(rng, n, { size });
  const img = new Float32Array(n * size * size * 3), msk = new Float32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const s = await ds.get(i);
    const a = s.image.data, b = s.mask.data;
    for (let k = 0; k < size * size * 3; k++) img[i * size * size * 3 + k] = (a[k] as number) * 2 - 1;
    msk.set(b.subarray(0, size * size), i * size * size);
  }
  return { name: ds.name, images: tf.tensor4d(img, [n, size, size, 3]), masks: tf.tensor4d(msk, [n, size, size, 1]) };
};
