/**
 * safetensors files on disk (`node:fs`): read with full validation, write
 * atomically (temp file + rename). The byte-level codec is in `safetensors.ts`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { WeightsError } from '../core/errors.ts';
import { parseSafetensors, serializeSafetensors, type SafetensorsContent } from './safetensors.ts';
import type { StateDict } from './state-dict.ts';
import { writeFileAtomic } from './image-file.ts';

/**
 * Read and validate a safetensors file; any problem (missing, truncated,
 * corrupt) is a {@link WeightsError} naming the file.
 *
 * @example
 * ```ts
 * const { tensors, metadata } = readSafetensors('runs/dcgan/g.safetensors');
 * ```
 */
export const readSafetensors = (file: string): SafetensorsContent => {
  const where = `readSafetensors(${file})`;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new WeightsError(where, `cannot read the file (${e instanceof Error ? e.message : String(e)})`);
  }
  return parseSafetensors(bytes, where);
};

/**
 * Write tensors (+ string metadata, e.g. the model config as JSON) atomically.
 *
 * @example
 * ```ts
 * writeSafetensors('g.safetensors', g.stateDict(), { model: 'dcgan', config: JSON.stringify(g.config) });
 * ```
 */
export const writeSafetensors = (file: string, tensors: StateDict, metadata: Readonly<Record<string, string>> = {}): void => {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata, `writeSafetensors(${file})`));
};
