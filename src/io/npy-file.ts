/**
 * `.npy` files on disk (`node:fs`), written atomically.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import { writeFileAtomic } from './image-file.ts';
import { parseNpy, serializeNpy, type NpyArray } from './npy.ts';

/**
 * Read and validate a `.npy` file; problems are a {@link DataError} naming the file.
 *
 * @example
 * ```ts
 * const z = readNpy('latents/z.npy');
 * ```
 */
export const readNpy = (file: string): NpyArray => {
  const where = `readNpy(${file})`;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new DataError(where, `cannot read the file (${e instanceof Error ? e.message : String(e)})`, file);
  }
  try {
    return parseNpy(bytes, where);
  } catch (e) {
    if (e instanceof DataError) throw new DataError(where, e.message.slice(where.length + 2), file);
    throw e;
  }
};

/**
 * Write an array as a `.npy` file, atomically.
 *
 * @example
 * ```ts
 * writeNpy('out/images.npy', tensorToNpy(images));
 * ```
 */
export const writeNpy = (file: string, a: NpyArray): void => writeFileAtomic(file, serializeNpy(a, `writeNpy(${file})`));
