/**
 * A seeded, recorded split of a labelled photo set into a `validation` part (whose masks may be used
 * to choose settings) and a `test` part (whose masks are used only for the number reported). The
 * benchmark's honest protocol: a GAN and a method may use every image *unlabeled*; settings are chosen
 * on validation masks only; the leaderboard reports the test part.
 *
 * The split of the Weizmann horse dev set is committed as `assets/splits/weizmann-horse.json`
 * (`makeSplit` of its 200 file names, seed 0, 60 for validation).
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { DataError } from '../core/errors.ts';
import { Rng } from '../core/rng.ts';
import { writeFileAtomic } from '../io/image-file.ts';

/** A recorded split: image file names (relative to the set's `images/`), each part sorted. */
export interface DataSplit {
  /** What was split (a label, e.g. the data set's folder name). */
  readonly dataset: string;
  /** The seed the order was drawn from. */
  readonly seed: string;
  /** Files whose masks may be used to choose settings. */
  readonly validation: readonly string[];
  /** Files whose masks are used only for the reported number. */
  readonly test: readonly string[];
}

/**
 * Split `files` into `validation` (the first `validationCount` of a seeded shuffle of the sorted names,
 * stream `split` of `seed`) and `test` (the rest); both parts come out sorted. The same names give the
 * same split whatever their order.
 *
 * @example
 * ```ts
 * const s = makeSplit('weizmann-horse', files, 60, 0); // s.validation.length === 60
 * ```
 */
export const makeSplit = (dataset: string, files: readonly string[], validationCount: number, seed: number | string = 0): DataSplit => {
  const names = [...new Set(files)].sort();
  if (names.length !== files.length) throw new DataError('makeSplit', `expected distinct file names, found ${files.length - names.length} repeated`);
  if (!(Number.isInteger(validationCount) && validationCount >= 1 && validationCount < names.length))
    throw new DataError('makeSplit', `expected a validation count in 1…${names.length - 1}, found ${validationCount}`);
  const order = new Rng(seed).fork('split').shuffle(names);
  return { dataset, seed: String(seed), validation: order.slice(0, validationCount).sort(), test: order.slice(validationCount).sort() };
};

/**
 * Check that `split` is a partition of exactly `files` (no name in both parts, none missing, none extra);
 * a {@link DataError} names the first offenders.
 *
 * @example
 * ```ts
 * checkSplit(readSplit('assets/splits/weizmann-horse.json'), listImages('horse/images'), 'horse');
 * ```
 */
export const checkSplit = (split: DataSplit, files: readonly string[], where: string): void => {
  const v = new Set(split.validation), t = new Set(split.test), all = new Set(files);
  const both = [...v].filter((f) => t.has(f));
  const missing = files.filter((f) => !v.has(f) && !t.has(f));
  const extra = [...v, ...t].filter((f) => !all.has(f));
  const show = (xs: readonly string[]): string => `${xs.slice(0, 3).join(', ')}${xs.length > 3 ? ` (+${xs.length - 3})` : ''}`;
  if (both.length > 0) throw new DataError(where, `expected disjoint validation and test parts, found ${show(both)} in both`);
  if (missing.length > 0) throw new DataError(where, `expected the split to name every image of the set, found ${show(missing)} in neither part`);
  if (extra.length > 0) throw new DataError(where, `expected the split to name only images of the set, found ${show(extra)} not in it`);
};

const isStrings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/**
 * Read a split file written by {@link writeSplit}.
 *
 * @example
 * ```ts
 * const s = readSplit('assets/splits/weizmann-horse.json');
 * ```
 */
export const readSplit = (path: string): DataSplit => {
  if (!existsSync(path)) throw new DataError('readSplit', `no split file ${path}`, path);
  const j = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  if (!isStrings(j.validation) || !isStrings(j.test)) throw new DataError('readSplit', 'expected { validation: string[], test: string[] }', path);
  return { dataset: String(j.dataset ?? ''), seed: String(j.seed ?? ''), validation: j.validation, test: j.test };
};

/**
 * Write a split as JSON (atomically).
 *
 * @example
 * ```ts
 * writeSplit('out/split.json', makeSplit('horse', files, 60));
 * ```
 */
export const writeSplit = (path: string, split: DataSplit): void =>
  writeFileAtomic(path, `${JSON.stringify({ dataset: split.dataset, seed: split.seed, validation: split.validation, test: split.test }, null, 1)}\n`);
