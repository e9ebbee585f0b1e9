/**
 * Reading PyTorch checkpoint files from disk (Node / Deno `node:fs`).
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { WeightsError } from '../../core/errors.ts';
import type { StateDict } from '../state-dict.ts';
import { readTorchCheckpoint, type TorchReadOptions } from './checkpoint.ts';

const readBytes = (path: string): Uint8Array => {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new WeightsError(`loadTorchCheckpoint(${path})`, `cannot read file: ${(err as Error).message}`, { cause: err });
  }
};

/**
 * Read a `.pt` / `.pth` / `.bin` / `.pkl` file written by `torch.save` (or a
 * pickled module) into a {@link StateDict}. Throws {@link WeightsError} naming
 * the file when it is missing, corrupt or truncated.
 *
 * @example
 * ```ts
 * const sd = loadTorchCheckpoint('checkpoint/550000.pt', { key: 'g_ema' });
 * ```
 */
export const loadTorchCheckpoint = (path: string, options: Omit<TorchReadOptions, 'where'> = {}): StateDict =>
  readTorchCheckpoint(readBytes(path), { ...options, where: `loadTorchCheckpoint(${path})` });

/**
 * {@link loadTorchCheckpoint} with the error in an `Either` instead of thrown.
 *
 * @example
 * ```ts
 * const r = tryLoadTorchCheckpoint('pytorch_model.bin');
 * if (E.isRight(r)) console.log([...r.right.keys()]);
 * ```
 */
export const tryLoadTorchCheckpoint = (path: string, options: Omit<TorchReadOptions, 'where'> = {}): E.Either<WeightsError, StateDict> =>
  E.tryCatch(() => loadTorchCheckpoint(path, options), (e) => (e instanceof WeightsError ? e : new WeightsError(`loadTorchCheckpoint(${path})`, String(e))));
