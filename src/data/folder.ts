/**
 * Image folders on disk: `ImageFolder` (unlabeled images, any nesting) and
 * `SegmentationFolder` (image + mask pairs matched by file stem). Problems are
 * {@link DataError}s naming the file; `onError` decides whether a problem
 * stops (`'stop'`, default) or is skipped and counted (`'skip'`).
 *
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, extname, sep } from 'node:path';
import { DataError } from '../core/errors.ts';
import { channel, decodeImage, toRgb, type Raster } from '../io/image.ts';
import type { SegmentationSample } from './shapes.ts';

/** What to do with a missing, unreadable or inconsistent file. */
export type ErrorPolicy = 'skip' | 'stop';

/**
 * Extensions read as images (lower case, with dot).
 *
 * @example
 * ```ts
 * listImages(dir, [...IMAGE_EXTENSIONS, '.bmp']);
 * ```
 */
export const IMAGE_EXTENSIONS: readonly string[] = ['.jpg', '.jpeg', '.png'];

/** One unlabeled image. */
export interface ImageSample {
  /** File stem relative to the root, `/`-separated, without extension. */
  readonly id: string;
  /** RGB image, values in [0, 1]. */
  readonly image: Raster;
  /** Mask, when the dataset has one. */
  readonly mask?: Raster;
}

/** A random-access image dataset (`get` may throw a {@link DataError}). */
export interface ImageDataset {
  /** A name for messages. */
  readonly name: string;
  /** Number of samples. */
  readonly length: number;
  /** Load sample `index`. */
  get(index: number): Promise<ImageSample>;
}

/**
 * Every image file under `root` (recursively), sorted, as paths relative to `root`.
 *
 * @example
 * ```ts
 * listImages('/data/horses/images'); // ['horse001.jpg', …]
 * ```
 */
export const listImages = (root: string, extensions: readonly string[] = IMAGE_EXTENSIONS): string[] => {
  const where = `listImages(${root})`;
  let top: string[];
  try {
    top = readdirSync(root);
  } catch (e) {
    throw new DataError(where, `cannot read folder: ${(e as Error).message}`, root, { cause: e });
  }
  const out: string[] = [];
  const walk = (dir: string, names: string[]): void => {
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p, readdirSync(p));
      else if (extensions.includes(extname(name).toLowerCase())) out.push(relative(root, p));
    }
  };
  walk(root, top);
  return out.sort();
};

const stemOf = (rel: string): string => rel.slice(0, rel.length - extname(rel).length).split(sep).join('/');

const load = async (path: string): Promise<Raster> => {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new DataError(`readImage(${path})`, `cannot read file: ${(e as Error).message}`, path, { cause: e });
  }
  return decodeImage(bytes, path);
};

/** Options of {@link ImageFolder}. */
export interface ImageFolderOptions {
  /** File extensions to read. Default {@link IMAGE_EXTENSIONS}. */
  readonly extensions?: readonly string[];
}

/**
 * Unlabeled images under a folder, any nesting (for GAN training). Files are
 * listed once, sorted; images are read on demand, so the folder never has to fit in memory.
 *
 * @example
 * ```ts
 * const reals = new ImageFolder('/data/horses/images');
 * const { id, image } = await reals.get(0);
 * ```
 */
export class ImageFolder implements ImageDataset {
  /** A name for messages. */
  readonly name: string;
  /** Relative paths of the images. */
  readonly files: readonly string[];
  /** The folder. */
  readonly root: string;
  constructor(root: string, options: ImageFolderOptions = {}) {
    this.root = root;
    this.name = `ImageFolder(${root})`;
    this.files = listImages(root, options.extensions);
    if (this.files.length === 0) throw new DataError(this.name, 'no image files found', root);
  }
  /** Number of images. */
  get length(): number {
    return this.files.length;
  }
  /** Read image `index` as RGB. */
  async get(index: number): Promise<ImageSample> {
    const rel = this.files[index];
    if (rel === undefined) throw new RangeError(`${this.name}.get: index ${index} outside [0, ${this.files.length})`);
    return { id: stemOf(rel), image: toRgb(await load(join(this.root, rel))) };
  }
}

/** Options of {@link SegmentationFolder}. */
export interface SegmentationFolderOptions {
  /** Missing pairs and bad files: stop (throw) or skip and count. Default `'stop'`. */
  readonly onError?: ErrorPolicy;
  /**
   * Mask binarization: foreground where the mask's first channel is > this value
   * (the rule of the papers' loaders: `(ToTensor(mask) > 0.5)`); `null` keeps soft values. Default 0.5.
   */
  readonly threshold?: number | null;
  /** File extensions to read. Default {@link IMAGE_EXTENSIONS}. */
  readonly extensions?: readonly string[];
}

/**
 * Image + mask pairs from two folders, matched by relative file stem (so
 * `images/a/x.jpg` pairs with `masks/a/x.png`). Images without a mask (and
 * masks without an image) are {@link DataError}s: with `onError: 'skip'` they
 * are left out and listed in `errors`, otherwise the constructor throws.
 * A mask whose size differs from its image is a {@link DataError} on `get`.
 *
 * @example
 * ```ts
 * const horses = new SegmentationFolder('/data/horses/images', '/data/horses/masks');
 * const { image, mask } = await horses.get(0); // mask: 1 channel, 0/1
 * ```
 */
export class SegmentationFolder implements ImageDataset {
  /** A name for messages. */
  readonly name: string;
  /** Matched pairs (relative paths). */
  readonly pairs: ReadonlyArray<{
    /** The shared file stem that matched image and mask. */
    readonly id: string;
    /** Image path, relative to {@link SegmentationFolder.imagesDir}. */
    readonly image: string;
    /** Mask path, relative to {@link SegmentationFolder.masksDir}. */
    readonly mask: string;
  }>;
  /** Problems found while pairing (only with `onError: 'skip'`). */
  readonly errors: readonly DataError[];
  private readonly options: SegmentationFolderOptions;
  constructor(
    /** Folder of the images. */ readonly imagesDir: string,
    /** Folder of the masks; a mask pairs with the image of the same file stem. */ readonly masksDir: string,
    options: SegmentationFolderOptions = {},
  ) {
    this.options = options;
    this.name = `SegmentationFolder(${imagesDir})`;
    const images = listImages(imagesDir, options.extensions), masks = listImages(masksDir, options.extensions);
    const maskByStem = new Map(masks.map((m) => [stemOf(m), m]));
    const imageStems = new Set(images.map(stemOf));
    const errors: DataError[] = [];
    const pairs: Array<{ id: string; image: string; mask: string }> = [];
    for (const im of images) {
      const id = stemOf(im), m = maskByStem.get(id);
      if (m === undefined) errors.push(new DataError(this.name, `no mask for image ${im} in ${masksDir}`, join(imagesDir, im)));
      else pairs.push({ id, image: im, mask: m });
    }
    for (const m of masks) if (!imageStems.has(stemOf(m))) errors.push(new DataError(this.name, `no image for mask ${m} in ${imagesDir}`, join(masksDir, m)));
    if (errors.length > 0 && (options.onError ?? 'stop') === 'stop') throw errors[0] as DataError;
    if (pairs.length === 0) throw new DataError(this.name, `no image/mask pairs found (masks in ${masksDir})`, imagesDir);
    this.pairs = pairs;
    this.errors = errors;
  }
  /** Number of pairs. */
  get length(): number {
    return this.pairs.length;
  }
  /** Read pair `index`: RGB image and a 1-channel mask (binarized unless `threshold: null`). */
  async get(index: number): Promise<SegmentationSample> {
    const p = this.pairs[index];
    if (p === undefined) throw new RangeError(`${this.name}.get: index ${index} outside [0, ${this.pairs.length})`);
    const maskPath = join(this.masksDir, p.mask);
    const [image, rawMask] = await Promise.all([load(join(this.imagesDir, p.image)), load(maskPath)]);
    if (image.width !== rawMask.width || image.height !== rawMask.height)
      throw new DataError(this.name, `mask ${p.mask} is ${rawMask.width}x${rawMask.height} but image ${p.image} is ${image.width}x${image.height}`, maskPath);
    const mask = channel(rawMask, 0), t = this.options.threshold === undefined ? 0.5 : this.options.threshold;
    if (t !== null) for (let i = 0; i < mask.data.length; i++) mask.data[i] = (mask.data[i] as number) > t ? 1 : 0;
    return { id: p.id, image: toRgb(image), mask };
  }
}
