/**
 * Image files: read JPEG/PNG, write PNG atomically, write image grids.
 *
 * @module
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataError } from '../core/errors.ts';
import { decodeImage, encodePng, type EncodePngOptions, type Raster } from './image.ts';
import { gridRaster, type GridOptions, type GridRow } from './image-grid.ts';

let tmpCounter = 0;

/**
 * Write bytes atomically (temp file in the same folder, then rename); creates the folder.
 *
 * @example
 * ```ts
 * writeFileAtomic('out/a.png', bytes);
 * ```
 */
export const writeFileAtomic = (path: string, bytes: Uint8Array | string): void => {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${Date.now().toString(36)}-${tmpCounter++}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
};

/**
 * Read and decode a JPEG or PNG file. Throws a {@link DataError} naming the file
 * when it is missing, unreadable or truncated.
 *
 * @example
 * ```ts
 * const img = readImage('/data/horses/images/horse001.jpg');
 * ```
 */
export const readImage = (path: string): Raster => {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new DataError(`readImage(${path})`, `cannot read file: ${(e as Error).message}`, path, { cause: e });
  }
  return decodeImage(bytes, path);
};

/**
 * Encode a raster as PNG and write it atomically.
 *
 * @example
 * ```ts
 * writePng('out/mask.png', mask);
 * ```
 */
export const writePng = (path: string, img: Raster, options: EncodePngOptions = {}): void => writeFileAtomic(path, encodePng(img, options));

/**
 * Write rows of images ([-1, 1], 3 channels), masks ([0, 1], 1 channel) and
 * `{ image, mask }` overlays as one PNG grid (one row per entry, one column per batch item).
 *
 * @example
 * ```ts
 * writeGrid('runs/shapes/samples.png', [images, masks, { image: images, mask: masks }], { maxColumns: 8 });
 * ```
 */
export const writeGrid = (path: string, rows: readonly GridRow[], options: GridOptions = {}): void => writePng(path, gridRaster(rows, options));
